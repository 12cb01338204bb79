"""Alert rule definitions: what a user may write, what is refused (with the field and why), rules as code,
and the default rule pack."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from vigil_core.adapters.memory_alerts import MemoryAlertRuleRepository
from vigil_core.errors import VigilError
from vigil_core.models.alerts import AlertingPolicy, ProbeRule, RuleSource, ThresholdRule
from vigil_core.services.alert_rules import (
    AlertRuleService,
    effective_rules,
    pack_rules,
    parse_rule,
    parse_rules_document,
    sync_code_rules,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
GOOD = {"name": "CPU high", "metric": "cpu", "condition": "gt", "threshold": 80, "for": "5m"}


def problems(body: Any) -> dict[str, str]:
    with pytest.raises(VigilError) as refused:
        parse_rule(body)
    assert refused.value.status == 400
    return {problem.field: problem.problem for problem in refused.value.problems}


def test_the_shorthand_is_one_warning_threshold_and_the_id_is_the_names_slug() -> None:
    # When a rule is written with the shorthand
    rule = parse_rule(GOOD)
    # Then it is a threshold rule with one warning threshold holding for 5 minutes, averaged over 5 minutes
    assert isinstance(rule, ThresholdRule)
    assert (rule.rule_id, rule.aggregation, rule.window, rule.cooldown) == ("cpu-high", "avg", 300, 300)
    [threshold] = rule.thresholds
    assert (threshold.severity, threshold.condition, threshold.value, threshold.for_seconds) == (
        "warning",
        "gt",
        80,
        300,
    )


def test_several_thresholds_are_kept_highest_severity_first() -> None:
    rule = parse_rule(
        {
            "name": "Errors",
            "metric": "http.requests",
            "aggregation": "ratio",
            "numerator": [{"label": "status", "op": "=~", "value": "5.."}],
            "thresholds": [
                {"severity": "warning", "condition": "gt", "value": 5},
                {"severity": "critical", "condition": "gt", "value": 10},
            ],
        }
    )
    assert [t.severity for t in rule.thresholds] == ["critical", "warning"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"metric": "9cpu"}, "metric", "pattern"),
        ({"window": "90s"}, "window", "whole number of minutes"),
        ({"window": "2d"}, "window", "at most 24h"),
        ({"condition": "above"}, "thresholds.0.condition", "'gt'"),
        ({"aggregation": "median"}, "aggregation", "'avg'"),
        ({"for": "-1m"}, "thresholds.0.for", "duration"),
        ({"labels": {"bad-key": "x"}}, "labels", "must match"),
        ({"matchers": [{"label": "env", "op": "=~", "value": "("}]}, "matchers.0", "regular expression"),
        ({"annotations": {"runbook_url": "not a url"}}, "annotations.runbook_url", "pattern"),
        ({"numerator": [{"label": "status", "value": "500"}]}, "body", "numerator is only for aggregation: ratio"),
        ({"color": "red"}, "color", "unknown field"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_field(change: dict[str, Any], field: str, reason: str) -> None:
    found = problems({**GOOD, **change})
    assert field in found, found
    assert reason in found[field]


def test_a_rule_with_no_threshold_or_two_of_one_severity_is_refused() -> None:
    assert "thresholds" in problems({"name": "x", "metric": "cpu", "thresholds": []})
    twice = [{"severity": "warning", "condition": "gt", "value": v} for v in (1, 2)]
    assert problems({"name": "x", "metric": "cpu", "thresholds": twice})["thresholds"].endswith(
        "each severity may appear once"
    )
    assert problems({"name": "x", "metric": "cpu", "aggregation": "ratio", "threshold": 1, "condition": "gt"}) == {
        "body": "a ratio needs numerator matchers (which series count as errors)"
    }


def test_a_probe_rule_defaults_to_down_and_critical() -> None:
    rule = parse_rule({"kind": "probe", "name": "Site down", "for": "2m"})
    assert isinstance(rule, ProbeRule)
    assert (rule.states, rule.severity, rule.for_seconds) == (("DOWN",), "critical", 120)
    assert problems({"kind": "probe", "name": "x", "states": ["UP"]}).keys() == {"states.0"}
    assert problems({"kind": "alarm", "name": "x"}) == {"kind": "must be threshold or probe"}


def test_an_alert_rules_document_lists_every_problem_by_position() -> None:
    document = {
        "rules": [
            {"tenant": "acme", **GOOD},
            {"name": "No tenant", "metric": "cpu", "threshold": 1, "condition": "gt"},
            {"tenant": "acme", **GOOD, "window": "5s"},
            {"tenant": "acme", **GOOD},
        ]
    }
    with pytest.raises(VigilError) as refused:
        parse_rules_document(document)
    fields = [problem.field for problem in refused.value.problems]
    assert fields == ["rules[1].tenant", "rules[2].window", "rules[3].id"]
    assert parse_rules_document({"rules": [{"tenant": "acme", **GOOD}]})[0].definition.rule_id == "cpu-high"


def test_code_rules_are_created_updated_and_deleted_and_read_only_through_the_api() -> None:
    # Given a code rule applied to the repository
    repository = MemoryAlertRuleRepository()
    first = parse_rules_document({"rules": [{"tenant": "acme", **GOOD}]})
    assert sync_code_rules(repository, repository.all_rules(), first, lambda: NOW).created == 1
    # Then the API refuses to change or delete it
    service = AlertRuleService(repository, lambda: NOW)
    with pytest.raises(VigilError) as refused:
        service.delete("acme", "cpu-high")
    assert refused.value.status == 409
    # When the document changes the threshold, then drops the rule
    changed = parse_rules_document({"rules": [{"tenant": "acme", **GOOD, "threshold": 90}]})
    assert sync_code_rules(repository, repository.all_rules(), changed, lambda: NOW).updated == 1
    assert sync_code_rules(repository, repository.all_rules(), [], lambda: NOW).deleted == 1
    assert repository.all_rules() == []


def test_the_default_pack_applies_when_enabled_and_a_tenants_own_rule_replaces_its_namesake() -> None:
    # Given the default pack, and a tenant that turned cpu-usage off with a rule of its own
    pack = {rule.rule_id for rule in pack_rules("default")}
    assert pack == {
        "api-error-rate",
        "memory-usage",
        "cpu-usage",
        "response-time",
        "service-down",
        "database-connections",
        "queue-depth",
    }
    repository = MemoryAlertRuleRepository()
    service = AlertRuleService(repository, lambda: NOW)
    repository.put_policy("acme", AlertingPolicy(rule_packs=("default",)))
    service.replace("acme", "cpu-usage", {**GOOD, "name": "CPU usage", "enabled": False})
    # When the tenant's effective rules are worked out
    effective = effective_rules("acme", repository.list_for_tenant("acme"), service.policy("acme"), NOW)
    # Then every pack rule but cpu-usage applies, from the pack
    assert {rule.id for rule in effective} == pack - {"cpu-usage"}
    assert {rule.source for rule in effective} == {RuleSource.PACK}
    # And without the pack, nothing applies
    assert effective_rules("acme", repository.list_for_tenant("acme"), AlertingPolicy(), NOW) == []
    # And a pack rule cannot be deleted, only replaced
    with pytest.raises(VigilError) as refused:
        service.delete("acme", "memory-usage")
    assert refused.value.status == 409
