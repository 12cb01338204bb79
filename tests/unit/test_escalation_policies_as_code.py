"""Escalation policies as code: the escalation-policies.yaml document (validation, one policy per tenant, the
normalized form the stack ships), the file's policy winning over the API's (read-only there, with its source
shown), and the wiring that reads the shipped file."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import pytest
import yaml

from tests.support import ROOT, FakeLambdaContext, InMemoryVigil, api_event
from vigil_core.adapters.escalation_wiring import load_code_escalation_policies
from vigil_core.adapters.memory_alerts import MemoryAlertRuleRepository
from vigil_core.errors import VigilError
from vigil_core.models.alerts import Severity
from vigil_core.models.escalation import DEFAULT_LEVELS, BusinessHours, EscalationLevel, EscalationPolicy
from vigil_core.services.alert_rules import AlertRuleService
from vigil_core.services.auth import Authenticator
from vigil_core.services.escalation_policies import (
    escalation_policies_to_document,
    parse_escalation_policies_document,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DOCUMENT = """
policies:
  - tenant: acme
    levels:
      critical:
        - {targets: [pagerduty], after: 1m}
        - {targets: [sms, lead-mail], after: 10m, when: outside_business_hours}
      warning:
        - {targets: [email], after: 15m, when: business_hours}
    repeat: 2
    business_hours: {timezone: Europe/Berlin, start: "08:00", end: "18:00"}
  - tenant: globex
    repeat: 1
"""
CODE_CONFLICT = (
    "the escalation policy of tenant 'acme' is defined in escalation-policies.yaml, deployed with the stack; "
    "change it there"
)
API_POLICY: dict[str, Any] = {"levels": {"error": [{"targets": ["slack"], "after": "5m"}]}}


def problems(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(VigilError) as refused:
        parse_escalation_policies_document(data)
    assert refused.value.status == 400
    return [(p.field, p.problem) for p in refused.value.problems]


def acme_entry(**fields: Any) -> dict[str, Any]:
    return {"tenant": "acme", "levels": {"critical": [{"targets": ["pagerduty"], "after": "1m"}]}} | fields


# -- the document -------------------------------------------------------------------------------------------


def test_a_document_gives_each_tenants_policy_with_durations_and_times_parsed() -> None:
    # Given a document with acme's full policy and globex's repeat only
    data = yaml.safe_load(DOCUMENT)
    # When it is parsed
    policies = parse_escalation_policies_document(data)
    # Then each tenant has its policy, in document order
    assert list(policies) == ["acme", "globex"]
    acme = policies["acme"]
    assert acme.levels[Severity.CRITICAL] == (
        EscalationLevel(targets=("pagerduty",), after=60),
        EscalationLevel(targets=("sms", "lead-mail"), after=600, when="outside_business_hours"),
    )
    assert acme.levels[Severity.WARNING] == (EscalationLevel(targets=("email",), after=900, when="business_hours"),)
    # And severities acme leaves out escalate to nobody; business hours keep the weekday default
    assert set(acme.levels) == {Severity.CRITICAL, Severity.WARNING}
    assert (acme.repeat, acme.business_hours.timezone, acme.business_hours.days) == (
        2,
        "Europe/Berlin",
        ("mon", "tue", "wed", "thu", "fri"),
    )
    # And globex, without levels, gets the product's default levels
    assert policies["globex"] == EscalationPolicy(levels=dict(DEFAULT_LEVELS), repeat=1)


def test_the_normalized_document_writes_every_default_out_and_parses_back_to_the_same_policies() -> None:
    # Given the parsed document
    policies = parse_escalation_policies_document(yaml.safe_load(DOCUMENT))
    # When it is normalized, as the stack ships it (JSON)
    document = json.loads(json.dumps(escalation_policies_to_document(policies)))
    # Then each entry is the tenant and the whole policy: delays in seconds, `when` and business hours filled in
    acme, globex = document["policies"]
    assert acme == {
        "tenant": "acme",
        "levels": {
            "critical": [
                {"targets": ["pagerduty"], "after": 60, "when": "always"},
                {"targets": ["sms", "lead-mail"], "after": 600, "when": "outside_business_hours"},
            ],
            "warning": [{"targets": ["email"], "after": 900, "when": "business_hours"}],
        },
        "repeat": 2,
        "business_hours": {
            "timezone": "Europe/Berlin",
            "days": ["mon", "tue", "wed", "thu", "fri"],
            "start": "08:00:00",
            "end": "18:00:00",
        },
    }
    assert globex["tenant"] == "globex"
    assert globex["levels"] == {
        "critical": [{"targets": ["pagerduty", "sms"], "after": 60, "when": "always"}],
        "error": [{"targets": ["sms", "email"], "after": 300, "when": "always"}],
        "warning": [{"targets": ["email", "slack"], "after": 900, "when": "always"}],
        "info": [],
    }
    assert (globex["repeat"], globex["business_hours"]) == (1, BusinessHours().model_dump(mode="json"))
    # And reading the normalized document back gives the same policies
    assert parse_escalation_policies_document(document) == policies


@pytest.mark.parametrize("data", [None, {}, {"policies": []}, {"policies": None}])
def test_an_empty_document_has_no_policies(data: Any) -> None:
    assert parse_escalation_policies_document(data) == {}
    assert escalation_policies_to_document({}) == {"policies": []}


def test_every_problem_of_a_document_is_listed_by_policy_index_and_field() -> None:
    # Given a document whose policies 0, 2 and 3 are wrong in different ways, and 1 is fine
    data = {
        "policies": [
            acme_entry(levels={"critical": [{"targets": ["pagerduty"], "after": "30s"}]}),
            {"tenant": "globex"},
            {"tenant": "initech", "repeat": 6, "escalate": True},
            {"tenant": "umbrella", "business_hours": {"timezone": "Mars/Olympus"}},
        ]
    }
    # When it is parsed / Then it is refused as a whole, each problem named where it is
    with pytest.raises(VigilError) as refused:
        parse_escalation_policies_document(data)
    assert refused.value.message == "escalation policies document: 4 problem(s)"
    assert [(p.field, p.problem) for p in refused.value.problems] == [
        (
            "policies[0].levels.critical.0.after",
            "must be a whole number of seconds between 60 (1m) and 86400 (24h)",
        ),
        ("policies[2].repeat", "Input should be less than or equal to 5"),
        ("policies[2].escalate", "unknown field"),
        (
            "policies[3].business_hours.timezone",
            "unknown time zone 'Mars/Olympus' (use an IANA name such as Europe/Berlin)",
        ),
    ]


def test_a_second_policy_for_a_tenant_is_refused_on_its_tenant_naming_the_first() -> None:
    # Given acme's policy twice, globex's between them
    data = {"policies": [acme_entry(), {"tenant": "globex"}, acme_entry(repeat=1)]}
    # When it is parsed / Then the second is refused on its tenant, naming the index of the first
    assert problems(data) == [
        ("policies[2].tenant", "'acme' already has its escalation policy in policies[0] (one per tenant)")
    ]


@pytest.mark.parametrize("tenant", [None, "", "Acme Corp", 42])
def test_a_policy_without_a_valid_tenant_is_refused(tenant: Any) -> None:
    assert problems({"policies": [acme_entry(tenant=tenant)]}) == [
        ("policies[0].tenant", "is required: the id of the tenant the escalation policy belongs to")
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"policy": []}, [("policy", "unknown top-level key")]),
        ({"policies": [], "rules": []}, [("rules", "unknown top-level key")]),
        ({"policies": {"tenant": "acme"}}, [("policies", "the document must be a mapping with a list `policies`")]),
        (["acme"], [("policies", "the document must be a mapping with a list `policies`")]),
        ({"policies": ["acme"]}, [("policies[0]", "must be a mapping")]),
    ],
)
def test_a_document_of_the_wrong_shape_is_refused(data: Any, expected: list[tuple[str, str]]) -> None:
    assert problems(data) == expected


def test_a_time_yaml_reads_as_a_number_is_refused_saying_to_quote_it() -> None:
    # Given business hours written unquoted: YAML 1.1 reads 17:00 as the number 1020 (base 60)
    data = yaml.safe_load("policies: [{tenant: acme, business_hours: {start: '08:00', end: 17:00}}]")
    assert data["policies"][0]["business_hours"]["end"] == 1020
    # When it is parsed / Then the field is refused with how to write it, not read as 00:17
    assert problems(data) == [
        ("policies[0].business_hours.end", 'must be a time of day as text, e.g. "17:00" (quoted in YAML)')
    ]


# -- the file wins over the API -----------------------------------------------------------------------------


def service(repository: MemoryAlertRuleRepository | None = None) -> AlertRuleService:
    code = parse_escalation_policies_document(yaml.safe_load(DOCUMENT))
    return AlertRuleService(repository or MemoryAlertRuleRepository(), lambda: NOW, code_escalation_policies=code)


def test_a_tenants_policy_from_the_file_wins_over_its_stored_one() -> None:
    # Given acme's policy in the file, and another one stored for acme before the file had it
    repository = MemoryAlertRuleRepository()
    repository.put_escalation_policy("acme", EscalationPolicy.model_validate(API_POLICY))
    # When acme's policy is read
    shown = service(repository).escalation_policy("acme")
    # Then it is the file's, and says so
    assert shown.source == "code"
    assert shown.policy == parse_escalation_policies_document(yaml.safe_load(DOCUMENT))["acme"]
    assert shown.to_public() == {**shown.policy.model_dump(mode="json"), "source": "code"}


def test_a_tenant_not_in_the_file_gets_its_stored_policy_else_the_defaults() -> None:
    # Given a file without initech or umbrella, and a policy stored for initech
    repository = MemoryAlertRuleRepository()
    repository.put_escalation_policy("initech", EscalationPolicy.model_validate(API_POLICY))
    rules = service(repository)
    # When their policies are read / Then initech's is the stored one, umbrella's the defaults
    initech, umbrella = rules.escalation_policy("initech"), rules.escalation_policy("umbrella")
    assert (initech.source, initech.policy) == ("api", EscalationPolicy.model_validate(API_POLICY))
    assert (umbrella.source, umbrella.policy) == ("default", EscalationPolicy())
    assert umbrella.to_public()["source"] == "default"


def test_putting_a_policy_the_file_defines_is_a_conflict_naming_the_file_and_changes_nothing() -> None:
    # Given acme's policy in the file, and none stored
    repository = MemoryAlertRuleRepository()
    rules = service(repository)
    # When acme puts a policy through the API
    with pytest.raises(VigilError) as refused:
        rules.put_escalation_policy("acme", API_POLICY)
    # Then it is a 409 saying where the policy lives, and nothing is stored
    assert (refused.value.status, refused.value.code, refused.value.message) == (409, "conflict", CODE_CONFLICT)
    assert repository.get_escalation_policy("acme") is None
    # And a tenant not in the file still puts its own, shown as from the API
    stored = rules.put_escalation_policy("initech", API_POLICY)
    assert stored.source == "api"
    assert repository.get_escalation_policy("initech") == stored.policy


def test_a_bad_policy_put_through_the_api_is_still_named_by_its_field() -> None:
    # Given a tenant not in the file / When it puts a policy with a bad delay, or no object at all
    rules = service()
    with pytest.raises(VigilError) as bad_delay:
        rules.put_escalation_policy("initech", {"levels": {"critical": [{"targets": ["sms"], "after": "2d"}]}})
    with pytest.raises(VigilError) as no_object:
        rules.put_escalation_policy("initech", ["levels"])
    # Then the fields are named as before, without any document prefix
    assert [p.field for p in bad_delay.value.problems] == ["levels.critical.0.after"]
    assert no_object.value.message == "body: must be a JSON object"


# -- through the alerts API's handler -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def alerts() -> Iterator[ModuleType]:
    """functions/alerts/handler.py, registered while the tests run (its dataclass looks its module up)."""
    name = "vigil_unit_test_alerts_handler"
    spec = importlib.util.spec_from_file_location(name, ROOT / "functions" / "alerts" / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[name]


@pytest.fixture
def repository(alerts: ModuleType) -> Iterator[MemoryAlertRuleRepository]:
    wiring = InMemoryVigil()
    wiring.add_key("acme", "key-acme")
    wiring.add_key("initech", "key-initech")
    rules = MemoryAlertRuleRepository()
    unused = cast(Any, None)  # the escalation policy routes touch neither alerts, deliveries nor escalations
    alerts.dependencies.use(
        alerts.AlertsApi(
            authenticator=Authenticator(wiring.directory),
            alerts=unused,
            rules=service(rules),
            deliveries=unused,
            escalations=unused,
        )
    )
    yield rules
    alerts.dependencies.reset()


def call(alerts: ModuleType, method: str, key: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    headers = {"x-api-key": key, "content-type": "application/json"}
    event = api_event(method, "/v1/escalation-policy", headers=headers, body=body)
    response = alerts.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_get_shows_where_the_policy_comes_from(alerts: ModuleType, repository: MemoryAlertRuleRepository) -> None:
    # Given acme in the file, initech not
    # When each reads its policy, initech before and after putting one
    acme = call(alerts, "GET", "key-acme")
    initech_before = call(alerts, "GET", "key-initech")
    initech_put = call(alerts, "PUT", "key-initech", API_POLICY)
    initech_after = call(alerts, "GET", "key-initech")
    # Then acme's is the file's, initech's the defaults, then the one it put, as PUT answered
    expected_acme = parse_escalation_policies_document(yaml.safe_load(DOCUMENT))["acme"].model_dump(mode="json")
    assert acme == (200, {**expected_acme, "source": "code"})
    assert initech_before == (200, {**EscalationPolicy().model_dump(mode="json"), "source": "default"})
    stored = EscalationPolicy.model_validate(API_POLICY).model_dump(mode="json")
    assert initech_put == (200, {**stored, "source": "api"})
    assert initech_after == initech_put


def test_put_of_a_policy_the_file_defines_is_a_409_naming_the_file(
    alerts: ModuleType, repository: MemoryAlertRuleRepository
) -> None:
    # Given acme in the file / When acme puts a policy
    status, body = call(alerts, "PUT", "key-acme", API_POLICY)
    # Then it is refused as a conflict, saying where to change it, and nothing is stored
    assert (status, body) == (409, {"error": "conflict", "message": CODE_CONFLICT})
    assert repository.get_escalation_policy("acme") is None


# -- the shipped file, read by the functions' wiring -------------------------------------------------------


def test_the_wiring_reads_the_shipped_file_beside_the_handler_or_nothing(tmp_path: Path) -> None:
    # Given the normalized document written beside a handler, as the stack ships it
    policies = parse_escalation_policies_document(yaml.safe_load(DOCUMENT))
    (tmp_path / "escalation-policies.json").write_text(json.dumps(escalation_policies_to_document(policies)))
    # When the wiring loads the file the settings name / Then it has each tenant's policy
    assert load_code_escalation_policies("escalation-policies.json", tmp_path) == policies
    # And with no file named (a stack deployed without one) there are none, whatever is in the folder
    assert load_code_escalation_policies("", tmp_path) == {}
