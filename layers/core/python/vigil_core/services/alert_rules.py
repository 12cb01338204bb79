"""Alert rules through the API, as code (alert-rules.yaml) and from shipped rule packs; and the tenant's
alerting, notification and escalation policies (an escalation policy may also come from
escalation-policies.yaml, see services/escalation_policies.py).

A tenant's effective rules are its own rules, the rules of the packs its policy enables, and one burn-rate
rule per SLO with alerting enabled (`slo-<SLO id>`, derived at each evaluation, never stored); a rule of its
own with a pack or SLO rule's id replaces that rule.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from vigil_core.alerting.burn_rate import slo_rows
from vigil_core.errors import FieldProblem, bad_request, conflict, not_found, validation_error
from vigil_core.models.alerts import (
    MAX_LABELS,
    RULE_DEFINITION,
    AlertingPolicy,
    AlertRule,
    Annotations,
    Condition,
    ProbeRule,
    RuleSource,
    Severity,
    SloRule,
    Threshold,
    ThresholdRule,
    rule_kind,
)
from vigil_core.models.escalation import EscalationPolicy
from vigil_core.models.notifications import NotificationPolicy
from vigil_core.models.sla import BurnRateRule, WindowKind
from vigil_core.models.slo import Slo, SloDefinition
from vigil_core.ports import AlertRuleRepository
from vigil_core.services.code_documents import parse_tenant_document
from vigil_core.services.escalation_policies import (
    SourcedEscalationPolicy,
    defined_as_code,
    parse_escalation_policy,
)
from vigil_core.validation import parse_body, problems_from

RuleDefinition = ThresholdRule | ProbeRule
_KINDS = ("threshold", "probe")
SLO_RULE_PREFIX = "slo-"


def parse_rule(body: Any, *, field_prefix: str = "") -> RuleDefinition:
    """A rule definition from JSON/YAML data, or a 400 naming each bad field."""
    if not isinstance(body, Mapping):
        raise bad_request(field_prefix.rstrip(".") or "body", "must be an object")
    kind = body.get("kind", "threshold")
    if kind == "slo":
        raise bad_request(f"{field_prefix}kind", "slo rules are derived from SLOs")
    if not isinstance(kind, str) or kind not in _KINDS:
        raise bad_request(f"{field_prefix}kind", "must be threshold or probe")
    try:
        return RULE_DEFINITION.validate_python(rule_kind(dict(body)))
    except ValidationError as exc:
        problems = problems_from(exc, list_field="", drop_leading=1)  # the first location part is the kind
        raise validation_error(
            [
                FieldProblem(
                    f"{field_prefix}{p.field}" if p.field != "body" else field_prefix.rstrip(".") or "body",
                    p.problem,
                )
                for p in problems
            ]
        ) from None


@functools.cache
def pack_rules(pack: str) -> tuple[RuleDefinition, ...]:
    """A shipped rule pack (vigil_core/packs/<pack>.yaml), validated once per process."""
    text = resources.files("vigil_core.packs").joinpath(f"{pack}.yaml").read_text(encoding="utf-8")
    document = yaml.safe_load(text)
    return tuple(parse_rule(entry, field_prefix=f"{pack}.rules[{i}].") for i, entry in enumerate(document["rules"]))


def effective_rules(
    tenant_id: str,
    own: Sequence[AlertRule],
    policy: AlertingPolicy,
    epoch: datetime,
    derived: Sequence[AlertRule] = (),
) -> list[AlertRule]:
    """The tenant's enabled rules: its own, then the enabled packs' rules and the rules `derived` from its SLOs
    (slo_rules) that it has not replaced."""
    by_id = {rule.id: rule for rule in own}
    for pack in policy.rule_packs:
        for definition in pack_rules(pack):
            if definition.rule_id not in by_id:
                by_id[definition.rule_id] = AlertRule(
                    tenant_id=tenant_id,
                    id=definition.rule_id,
                    definition=definition,
                    source=RuleSource.PACK,
                    created_at=epoch,
                    updated_at=epoch,
                )
    for rule in derived:
        by_id.setdefault(rule.id, rule)
    return [rule for rule in by_id.values() if rule.definition.enabled]


def slo_rule_id(slo_id: str) -> str:
    return f"{SLO_RULE_PREFIX}{slo_id}"  # an SLO id has at most 59 characters, so this fits a rule id


def slo_rules(slos: Sequence[Slo], timezone: str, at: datetime) -> list[AlertRule]:
    """One burn-rate rule per SLO with alerting enabled; `timezone` is the tenant's (its calendar windows)."""
    return [slo_rule(slo, slo_rows(slo, timezone, at)) for slo in slos if slo.definition.alerting.enabled]


def slo_rule(slo: Slo, rows: Sequence[BurnRateRule]) -> AlertRule:
    """The SLO's rule: its page and ticket severities (one threshold when they are the same), each at the
    lowest factor among its rows, so a firing alert's value (a burn rate) is always above its threshold."""
    definition = slo.definition
    alerting = definition.alerting
    thresholds = [_factor_threshold(alerting.page, rows, "page")]
    if alerting.ticket is not alerting.page:
        thresholds.append(_factor_threshold(alerting.ticket, rows, "ticket"))
    own_labels = [(key, value) for key, value in definition.labels.items() if key != "slo" and not key.startswith("__")]
    rule = SloRule(
        id=slo_rule_id(slo.id),
        name=f"SLO burn rate: {definition.name}"[:200],
        labels=dict([("slo", slo.id), *own_labels][:MAX_LABELS]),
        annotations=Annotations(
            summary=f"The error budget of SLO {definition.name} is burning too fast",
            description=_burn_rate_description(definition, rows),
        ),
        slo=slo.id,
        thresholds=tuple(thresholds),
    )
    return AlertRule(
        tenant_id=slo.tenant_id,
        id=rule.rule_id,
        definition=rule,
        source=RuleSource.SLO,
        created_at=slo.created_at,
        updated_at=slo.updated_at,
    )


def _factor_threshold(severity: Severity, rows: Sequence[BurnRateRule], action: str) -> Threshold:
    lowest = min(row.factor for row in rows if row.action == action)
    return Threshold(severity=severity, condition=Condition.GT, value=lowest)


def _burn_rate_description(definition: SloDefinition, rows: Sequence[BurnRateRule]) -> str:
    def clause(row: BurnRateRule) -> str:
        return f"{row.factor:g} over both {_duration(row.long_window)} and {_duration(row.short_window)}"

    pages = " or ".join(clause(row) for row in rows if row.action == "page")
    tickets = " or ".join(clause(row) for row in rows if row.action == "ticket")
    alerting = definition.alerting
    return (
        f"The value is the burn rate over the long window of the fastest firing row (1 spends exactly the "
        f"budget of the SLO's {_window_name(definition)} window). {alerting.page.value.capitalize()} when the "
        f"burn rate exceeds {pages}; {alerting.ticket.value} when it exceeds {tickets}."
    )


def _window_name(definition: SloDefinition) -> str:
    if definition.window.kind is WindowKind.ROLLING:
        return f"{definition.window.days}-day"
    return "calendar month" if definition.window.kind is WindowKind.CALENDAR_MONTH else "calendar quarter"


def _duration(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


class AlertRuleService:
    def __init__(
        self,
        repository: AlertRuleRepository,
        clock: Callable[[], datetime],
        code_escalation_policies: Mapping[str, EscalationPolicy] | None = None,
    ) -> None:
        self._repository = repository
        self._clock = clock
        # escalation-policies.yaml as deployed: these tenants' policies are read-only through the API.
        self._code_escalation_policies = dict(code_escalation_policies or {})

    def create(self, tenant_id: str, body: Any) -> AlertRule:
        definition = parse_rule(body)
        now = self._clock()
        rule = AlertRule(
            tenant_id=tenant_id, id=definition.rule_id, definition=definition, created_at=now, updated_at=now
        )
        self._repository.create(rule)
        return rule

    def replace(self, tenant_id: str, rule_id: str, body: Any) -> AlertRule:
        """Replace a rule of the tenant's own, or override a pack rule by its id."""
        existing = self._repository.get(tenant_id, rule_id)
        if existing is not None and existing.source is RuleSource.CODE:
            raise conflict(f"alert rule {rule_id!r} is defined in alert-rules.yaml; change it there and deploy")
        if existing is None and rule_id not in self._pack_ids(tenant_id):
            raise not_found(f"alert rule {rule_id!r} not found")
        definition = parse_rule(body)
        if definition.id is not None and definition.id != rule_id:
            raise bad_request("id", f"does not match the rule in the path ({rule_id}); ids cannot change")
        now = self._clock()
        rule = AlertRule(
            tenant_id=tenant_id,
            id=rule_id,
            definition=definition,
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        if existing is None:
            self._repository.create(rule)
        else:
            self._repository.replace(rule)
        return rule

    def delete(self, tenant_id: str, rule_id: str) -> None:
        rule = self._repository.get(tenant_id, rule_id)
        if rule is None:
            if rule_id in self._pack_ids(tenant_id):
                raise conflict(
                    f"alert rule {rule_id!r} comes from a rule pack: replace it with enabled: false, "
                    "or remove the pack from the alerting policy"
                )
            raise not_found(f"alert rule {rule_id!r} not found")
        if rule.source is RuleSource.CODE:
            raise conflict(f"alert rule {rule_id!r} is defined in alert-rules.yaml; remove it there and deploy")
        self._repository.delete(rule)

    def get(self, tenant_id: str, rule_id: str) -> AlertRule:
        for rule in self.list(tenant_id):
            if rule.id == rule_id:
                return rule
        raise not_found(f"alert rule {rule_id!r} not found")

    def list(self, tenant_id: str) -> list[AlertRule]:
        """Every rule the tenant has, including disabled ones and the enabled packs' rules."""
        own = self._repository.list_for_tenant(tenant_id)
        policy = self.policy(tenant_id)
        own_ids = {rule.id for rule in own}
        packs = [rule for rule in effective_rules(tenant_id, [], policy, self._clock()) if rule.id not in own_ids]
        return sorted([*own, *packs], key=lambda rule: rule.id)

    def policy(self, tenant_id: str) -> AlertingPolicy:
        return self._repository.get_policy(tenant_id) or AlertingPolicy()

    def put_policy(self, tenant_id: str, body: Any) -> AlertingPolicy:
        policy = parse_body(AlertingPolicy, body)
        self._repository.put_policy(tenant_id, policy)
        return policy

    def notification_policy(self, tenant_id: str) -> NotificationPolicy:
        return self._repository.get_notification_policy(tenant_id) or NotificationPolicy()

    def put_notification_policy(self, tenant_id: str, body: Any) -> NotificationPolicy:
        policy = parse_body(NotificationPolicy, body)
        self._repository.put_notification_policy(tenant_id, policy)
        return policy

    def escalation_policy(self, tenant_id: str) -> SourcedEscalationPolicy:
        """The policy the escalator uses: escalation-policies.yaml's, else the one set through the API, else
        the defaults."""
        code = self._code_escalation_policies.get(tenant_id)
        if code is not None:
            return SourcedEscalationPolicy(code, "code")
        stored = self._repository.get_escalation_policy(tenant_id)
        if stored is not None:
            return SourcedEscalationPolicy(stored, "api")
        return SourcedEscalationPolicy(EscalationPolicy(), "default")

    def put_escalation_policy(self, tenant_id: str, body: Any) -> SourcedEscalationPolicy:
        if tenant_id in self._code_escalation_policies:
            raise defined_as_code(tenant_id)
        policy = parse_escalation_policy(body)
        self._repository.put_escalation_policy(tenant_id, policy)
        return SourcedEscalationPolicy(policy, "api")

    def _pack_ids(self, tenant_id: str) -> set[str]:
        return {definition.rule_id for pack in self.policy(tenant_id).rule_packs for definition in pack_rules(pack)}


# -- alert rules as code ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CodeRule:
    tenant_id: str
    definition: RuleDefinition


@dataclass(frozen=True, slots=True)
class RuleSyncReport:
    created: int = 0
    updated: int = 0
    deleted: int = 0


def parse_rules_document(data: Any) -> list[CodeRule]:
    """alert-rules.yaml: `rules: [{tenant: <id>, <rule definition>...}]`, or one error listing every bad
    field as rules[i].field."""
    entries = parse_tenant_document(
        data, "rules", "alert rule", lambda entry, prefix: parse_rule(entry, field_prefix=prefix), _rule_id
    )
    return [CodeRule(tenant, definition) for tenant, definition in entries]


def _rule_id(definition: RuleDefinition) -> str:
    return definition.rule_id


def rules_to_document(rules: Sequence[CodeRule]) -> dict[str, Any]:
    """The normalized document (defaults filled in), as the stack ships it beside the evaluator."""
    return {
        "rules": [
            {
                "tenant": rule.tenant_id,
                "id": rule.definition.rule_id,
                **rule.definition.model_dump(mode="json", exclude={"id"}, by_alias=True),
            }
            for rule in rules
        ]
    }


def sync_code_rules(
    repository: AlertRuleRepository,
    stored: Sequence[AlertRule],
    rules: Sequence[CodeRule],
    clock: Callable[[], datetime],
) -> RuleSyncReport:
    """Make the stored code rules equal the document's: create, replace (also an API rule the document now
    claims) and delete the code rules it no longer has. `stored` is every stored rule (all tenants)."""
    by_key = {(rule.tenant_id, rule.id): rule for rule in stored}
    now = clock()
    created = updated = deleted = 0
    wanted: set[tuple[str, str]] = set()
    for code_rule in rules:
        key = (code_rule.tenant_id, code_rule.definition.rule_id)
        wanted.add(key)
        existing = by_key.get(key)
        rule = AlertRule(
            tenant_id=key[0],
            id=key[1],
            definition=code_rule.definition,
            source=RuleSource.CODE,
            created_at=existing.created_at if existing else now,
            updated_at=now,
        )
        if existing is None:
            repository.create(rule)
            created += 1
        elif existing.definition != rule.definition or existing.source is not RuleSource.CODE:
            repository.replace(rule)
            updated += 1
    for key, existing in by_key.items():
        if existing.source is RuleSource.CODE and key not in wanted:
            repository.delete(existing)
            deleted += 1
    return RuleSyncReport(created, updated, deleted)
