"""Why an alert is not notified: maintenance, silences (active, pending, expired, regex) and inhibition."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from vigil_core.alerting.suppression import Suppressor
from vigil_core.models.alerts import (
    DEFAULT_INHIBIT_RULES,
    Alert,
    AlertSource,
    AlertStatus,
    InhibitRule,
    Matcher,
    Severity,
    Silence,
    fingerprint,
)

TENANT = "acme"
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def alert(name: str, severity: str = "warning", status: AlertStatus = AlertStatus.FIRING, **labels: str) -> Alert:
    return Alert(
        tenant_id=TENANT,
        fingerprint=fingerprint(TENANT, name, labels),
        rule_id=name,
        rule_name=name,
        source=AlertSource.RULE,
        status=status,
        severity=Severity(severity),
        labels={**labels, "alertname": name, "severity": severity},
        first_seen=NOW,
        last_seen=NOW,
        changed_at=NOW,
    )


def silence(silence_id: str, matchers: Sequence[dict[str, Any]], starts: timedelta, ends: timedelta) -> Silence:
    return Silence(
        tenant_id=TENANT,
        id=silence_id,
        matchers=tuple(Matcher.model_validate(matcher) for matcher in matchers),
        starts_at=NOW + starts,
        ends_at=NOW + ends,
        created_by="ana",
        comment="deploy",
        created_at=NOW - 2 * HOUR,
    )


def suppressor(
    silences: Sequence[Silence] = (),
    open_alerts: Sequence[Alert] = (),
    in_maintenance: bool = False,
    inhibit_rules: Sequence[InhibitRule] = DEFAULT_INHIBIT_RULES,
) -> Suppressor:
    return Suppressor(silences, inhibit_rules, in_maintenance, open_alerts, NOW)


API_WARNING = alert("latency", service="api")


def test_nothing_suppresses_an_alert_by_default() -> None:
    assert suppressor(open_alerts=[API_WARNING]).reason(API_WARNING) is None


def test_a_maintenance_window_suppresses_every_alert() -> None:
    # Given the tenant is in a maintenance window (and a silence also matches)
    silenced = silence("s1", [{"label": "service", "value": "api"}], -HOUR, HOUR)
    # When asked about an alert
    # Then the maintenance window is the reason
    assert suppressor([silenced], in_maintenance=True).reason(API_WARNING) == "maintenance window"


def test_only_an_active_silence_silences() -> None:
    # Given silences of service=api: active, not started yet, and expired
    matchers = [{"label": "service", "value": "api"}]
    active = silence("active", matchers, -HOUR, HOUR)
    pending = silence("pending", matchers, HOUR, 2 * HOUR)
    expired = silence("expired", matchers, -2 * HOUR, -HOUR)
    # When asked about an api alert
    # Then only the active one silences it
    assert suppressor([pending, expired]).reason(API_WARNING) is None
    assert suppressor([pending, expired, active]).reason(API_WARNING) == "silenced by active"


def test_a_silence_ends_at_its_end_time() -> None:
    # Given a silence ending now
    ending = silence("ending", [{"label": "service", "value": "api"}], -HOUR, timedelta(0))
    # Then it no longer silences
    assert suppressor([ending]).reason(API_WARNING) is None


def test_silence_matchers_are_anchored_regexes_and_all_must_match() -> None:
    # Given a silence of api or web alerts that are not critical
    matchers = [
        {"label": "service", "op": "=~", "value": "api|web"},
        {"label": "severity", "op": "!=", "value": "critical"},
    ]
    api_or_web = silence("s1", matchers, -HOUR, HOUR)
    quiet = suppressor([api_or_web])
    # Then web warnings are silenced; apix (the regex is anchored), critical and unlabelled ones are not
    assert quiet.reason(alert("latency", service="web")) == "silenced by s1"
    assert quiet.reason(alert("latency", service="apix")) is None
    assert quiet.reason(alert("latency", "critical", service="api")) is None
    assert quiet.reason(alert("latency")) is None


def test_a_critical_alert_inhibits_warnings_of_the_same_service() -> None:
    # Given a critical alert firing for service api
    outage = alert("api-down", "critical", service="api")
    quiet = suppressor(open_alerts=[outage, API_WARNING])
    # Then warnings and infos of api are inhibited by it; those of web and the critical itself are not
    assert quiet.reason(API_WARNING) == f"inhibited by {outage.fingerprint}"
    assert quiet.reason(alert("queue", "info", service="api")) == f"inhibited by {outage.fingerprint}"
    assert quiet.reason(alert("latency", service="web")) is None
    assert quiet.reason(outage) is None


def test_a_missing_equal_label_is_equal_to_a_missing_one_only() -> None:
    # Given a critical alert without a service label
    outage = alert("cluster-down", "critical")
    quiet = suppressor(open_alerts=[outage])
    # Then it inhibits warnings without a service, not warnings with one
    assert quiet.reason(alert("latency")) == f"inhibited by {outage.fingerprint}"
    assert quiet.reason(alert("latency", service="")) == f"inhibited by {outage.fingerprint}"
    assert quiet.reason(API_WARNING) is None


def test_only_firing_or_acknowledged_alerts_inhibit() -> None:
    # Given critical api alerts: one pending, one resolved
    pending = alert("api-down", "critical", AlertStatus.PENDING, service="api")
    resolved = alert("api-slow", "critical", AlertStatus.RESOLVED, service="api")
    # Then they do not inhibit; an acknowledged one does
    assert suppressor(open_alerts=[pending, resolved]).reason(API_WARNING) is None
    acknowledged = alert("api-errors", "critical", AlertStatus.ACKNOWLEDGED, service="api")
    assert suppressor(open_alerts=[acknowledged]).reason(API_WARNING) == f"inhibited by {acknowledged.fingerprint}"


def test_alerts_matching_both_sides_do_not_inhibit_each_other() -> None:
    # Given a rule whose source and target both match any alert of team ops, and two such alerts
    both_sides = InhibitRule(
        source=(Matcher(label="team", value="ops"),),
        target=(Matcher(label="team", value="ops"),),
        equal=("service",),
    )
    first = alert("disk", team="ops", service="db")
    second = alert("memory", team="ops", service="db")
    quiet = suppressor(open_alerts=[first, second], inhibit_rules=[both_sides])
    # Then neither mutes the other (as Alertmanager)
    assert quiet.reason(first) is None
    assert quiet.reason(second) is None


def test_a_source_that_is_not_a_target_inhibits_a_target_that_could_be_a_source() -> None:
    # Given a rule: team ops alerts inhibit alerts of service db; an ops alert of db and an ops alert of no service
    rule = InhibitRule(source=(Matcher(label="team", value="ops"),), target=(Matcher(label="service", value="db"),))
    source_only = alert("network", team="ops")
    both = alert("disk", team="ops", service="db")
    quiet = suppressor(open_alerts=[source_only, both], inhibit_rules=[rule])
    # Then the one matching both sides is inhibited by the pure source, and never by itself
    assert quiet.reason(both) == f"inhibited by {source_only.fingerprint}"
    assert suppressor(open_alerts=[both], inhibit_rules=[rule]).reason(both) is None
