"""The alert engine: evaluate rules, store alert changes with conditional writes, publish transitions at
once, and notify groups of alerts on Alertmanager's timing.

Every alert change is a conditional write on the alert's version: of several evaluators racing on one
alert, one write wins and only the winner publishes; the others re-read and find nothing left to do.
A transition is stored in an outbox with its alert and removed once published, so a crash between the
two is repaired by the next evaluation.

SLO burn-rate rules are derived from the tenant's SLOs at each evaluation and go through the same path
(alerting/burn_rate.py decides what they observe). The minute's evaluation also closes the last hours of
SLOs with timeslices budgeting (alerting/timeslices.py, adapters/sla_timeslices.py).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast

from vigil_core.adapters.sla_timeslices import TimesliceLedger, timeslice_partition
from vigil_core.alerting.burn_rate import (
    SloWindows,
    error_budget,
    evaluation_end,
    observe_slo,
    read_plan,
    read_rows,
    slo_rows,
    window_lengths,
)
from vigil_core.alerting.grouping import flush, group_labels_for, open_group
from vigil_core.alerting.lifecycle import acknowledge, advance, custom_fingerprint, report_custom, resolve_by_hand
from vigil_core.alerting.observe import observe_monitor, observe_threshold_rule
from vigil_core.alerting.suppression import Suppressor
from vigil_core.alerting.timeslices import count_timeslices, hours_to_close, uses_timeslices
from vigil_core.errors import conflict, not_found
from vigil_core.models.alerts import (
    AcknowledgeInput,
    Alert,
    AlertChange,
    AlertingPolicy,
    AlertRule,
    AlertSource,
    AlertStatus,
    CustomAlertInput,
    GroupState,
    Observation,
    ProbeRule,
    ResolveInput,
    SloRule,
    ThresholdRule,
    fingerprint,
    group_key,
)
from vigil_core.models.notifications import NotificationPolicy
from vigil_core.models.probes import MonitorKey, TransitionEvent
from vigil_core.models.rollups import Resolution
from vigil_core.models.sla import HOUR_S, SlaTarget
from vigil_core.models.slo import AvailabilitySli, LatencySli, MetricLatencySli, RatioSli, SlaPolicy, Slo
from vigil_core.models.tenants import SlaTier
from vigil_core.ports import (
    AlertPublisher,
    AlertRuleRepository,
    AlertStore,
    EvaluationQueue,
    MonitorRepository,
    ProbeStore,
    RollupStore,
    SlaWindowReader,
    SloRepository,
    StoreUnavailableError,
    TenantDirectory,
)
from vigil_core.services.alert_rules import SLO_RULE_PREFIX, effective_rules, slo_rule_id, slo_rules

logger = logging.getLogger(__name__)

MAX_WRITE_ATTEMPTS = 5
MAX_FLUSH_DELAY_S = 900  # SQS's longest delay; longer waits are picked up by the minute's evaluation


@dataclass
class EvaluationReport:
    tenants: int = 0
    rules: int = 0
    observations: int = 0
    writes: int = 0
    conflicts: int = 0
    transitions: int = 0
    notifications: int = 0
    timeslice_hours: int = 0  # hours of timeslices SLOs closed
    publish_errors: list[str] = field(default_factory=list)

    def merge(self, other: EvaluationReport) -> None:
        for name in (
            "tenants",
            "rules",
            "observations",
            "writes",
            "conflicts",
            "transitions",
            "notifications",
            "timeslice_hours",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.publish_errors.extend(other.publish_errors)


@dataclass(frozen=True)
class AlertDesk:
    """Stores alert changes, publishes their transitions, runs notification groups, and serves the
    operators' actions (acknowledge, resolve, custom alerts)."""

    rules: AlertRuleRepository
    alerts: AlertStore
    publisher: AlertPublisher
    queue: EvaluationQueue
    clock: Callable[[], datetime]

    def flush_due(self, at: datetime) -> EvaluationReport:
        report = EvaluationReport()
        for group in self.alerts.due_groups(at):
            report.merge(self.flush_group(group.tenant_id, group.group_key, at))
        return report

    def flush_group(self, tenant_id: str, group_key: str, at: datetime) -> EvaluationReport:
        """Notify the group if it is due and something changed (or a repeat is due)."""
        report = EvaluationReport()
        policy = self.policy(tenant_id)
        for _ in range(MAX_WRITE_ATTEMPTS):
            group = self.alerts.get_group(tenant_id, group_key)
            if group is None:
                return report
            open_alerts = self.alerts.open_alerts(tenant_id)
            suppressor = Suppressor(
                self.alerts.silences(tenant_id), policy.inhibit_rules, policy.in_maintenance(at), open_alerts, at
            )
            result = flush(group, self.alerts.group_members(tenant_id, group_key), policy, suppressor, at)
            if not result.changed:
                return report
            stored = (
                self.alerts.delete_group(group)
                if result.group is None
                else self.alerts.save_group(result.group, group.version)
            )
            if not stored:
                report.conflicts += 1
                continue  # another flusher got there first: look again
            report.writes += 1
            if result.notification is not None:
                try:
                    routing = self.rules.get_notification_policy(tenant_id) or NotificationPolicy()
                    channel_types = routing.channel_types(result.notification.severity, result.notification.status)
                    self.publisher.publish_notification(result.notification, channel_types)
                    report.notifications += 1
                except Exception as exc:  # put the group back as it was, so the next flush sends it
                    report.publish_errors.append(f"notification {result.notification.notification_id}: {exc}")
                    self.alerts.save_group(group, 0 if result.group is None else group.version + 1)
            return report
        return report

    def republish_outbox(self, limit: int = 100) -> EvaluationReport:
        """Publish transitions whose publisher crashed after storing them (at least once, same id)."""
        report = EvaluationReport()
        pending = self.alerts.unpublished(limit)
        if not pending:
            return report
        try:
            self.publisher.publish_transitions(pending)
        except Exception as exc:
            report.publish_errors.append(f"outbox: {exc}")
            return report
        by_alert: dict[tuple[str, str], list[str]] = defaultdict(list)
        for transition in pending:
            by_alert[(transition.tenant_id, transition.fingerprint)].append(transition.transition_id)
        for (tenant_id, alert_fingerprint), ids in by_alert.items():
            self.alerts.mark_published(tenant_id, alert_fingerprint, ids)
        report.transitions += len(pending)
        return report

    # -- operator actions -----------------------------------------------------------------------------

    def acknowledge(self, tenant_id: str, alert_id: str, body: AcknowledgeInput, by: str) -> Alert:
        return self._apply_action(
            tenant_id, alert_id, lambda alert, now: acknowledge(alert, body.by or by, body.notes, now)
        )

    def resolve(self, tenant_id: str, alert_id: str, body: ResolveInput, by: str) -> Alert:
        return self._apply_action(
            tenant_id, alert_id, lambda alert, now: resolve_by_hand(alert, body.by or by, body.resolution_notes, now)
        )

    def raise_custom(self, tenant_id: str, body: CustomAlertInput) -> Alert:
        """An app's own alert; reporting the same name and labels again counts another occurrence."""
        policy = self.policy(tenant_id)
        alert_fingerprint = custom_fingerprint(tenant_id, body)
        for _ in range(MAX_WRITE_ATTEMPTS):
            now = self.clock()
            change = report_custom(self.alerts.get(tenant_id, alert_fingerprint), tenant_id, body, now)
            if self.store(change, policy, now, EvaluationReport()):
                return change.alert
        raise conflict("the alert kept changing while it was being reported; retry")

    def _apply_action(self, tenant_id: str, alert_id: str, action: Callable[[Alert, datetime], AlertChange]) -> Alert:
        policy = self.policy(tenant_id)
        for _ in range(MAX_WRITE_ATTEMPTS):
            alert = self.alerts.get(tenant_id, alert_id)
            if alert is None:
                raise not_found(f"alert {alert_id!r} not found")
            now = self.clock()
            change = action(alert, now)
            if self.store(change, policy, now, EvaluationReport()):
                return change.alert
        raise conflict(f"alert {alert_id!r} kept changing while it was being updated; retry")

    def store(self, change: AlertChange, policy: AlertingPolicy, now: datetime, report: EvaluationReport) -> bool:
        """Write the change (conditional), then publish its transition and look after its group."""
        alert = change.alert
        key = _group_key_for(alert, policy)
        if key != alert.group_key:
            change = replace(change, alert=alert.model_copy(update={"group_key": key}))
            alert = change.alert
        if not self.alerts.save(change):
            return False
        report.writes += 1
        if change.transition is not None:
            try:
                self.publisher.publish_transitions([change.transition])
                self.alerts.mark_published(alert.tenant_id, alert.fingerprint, [change.transition.transition_id])
                report.transitions += 1
            except Exception as exc:  # stays in the outbox; the next evaluation publishes it
                report.publish_errors.append(f"transition {change.transition.transition_id}: {exc}")
            self._join_group(alert, policy, now, report)
        return True

    def _join_group(self, alert: Alert, policy: AlertingPolicy, now: datetime, report: EvaluationReport) -> None:
        """Open the alert's group if it has none: a delayed message flushes it after group_wait. A group whose
        next flush has come is flushed now; a change to a group still inside its group_interval waits for
        the minute's evaluation (as Alertmanager waits for the group's next tick)."""
        if alert.group_key is None or alert.status is AlertStatus.PENDING:
            return
        group = self.alerts.get_group(alert.tenant_id, alert.group_key)
        if group is None:
            if alert.status is not AlertStatus.FIRING:
                return
            group = open_group(alert.tenant_id, group_labels_for(alert.labels, policy), policy, now)
            if self.alerts.save_group(group, 0):
                report.writes += 1
                self._schedule_flush(group, now)
                if policy.group_wait == 0:
                    report.merge(self.flush_group(alert.tenant_id, group.group_key, now))
            return
        if group.next_flush_at <= now:
            report.merge(self.flush_group(alert.tenant_id, group.group_key, now))

    def _schedule_flush(self, group: GroupState, now: datetime) -> None:
        delay = int((group.next_flush_at - now) / timedelta(seconds=1)) + 1
        if delay <= MAX_FLUSH_DELAY_S:
            try:
                self.queue.schedule_flush(group.tenant_id, group.group_key, max(delay, 0))
            except Exception as exc:  # the minute's evaluation flushes due groups anyway
                logger.warning("could not schedule a group flush: %s", exc)

    def policy(self, tenant_id: str) -> AlertingPolicy:
        return self.rules.get_policy(tenant_id) or AlertingPolicy()


class SloBudgets:
    """A tenant's SLA policy and tier target for its SLOs, read at most once per evaluation: the policy (time
    zone of calendar windows, target overrides) at once, the tenant only when an SLO takes its objective from
    the tier and the policy names none."""

    def __init__(self, tenant_id: str, slos: SloRepository, tenants: TenantDirectory | None) -> None:
        self.tenant_id = tenant_id
        self.policy = slos.get_sla_policy(tenant_id)
        self._tenants = tenants
        self._target: SlaTarget | None = None

    @property
    def timezone(self) -> str:
        return self.policy.timezone if self.policy is not None else "UTC"

    def target(self) -> SlaTarget:
        if self._target is None:
            tier: str | None = self.policy.tier if self.policy is not None else None
            if tier is None:
                tenant = self._tenants.get_tenant(self.tenant_id) if self._tenants is not None else None
                tier = tenant.sla_tier.value if tenant is not None else SlaTier.BASIC.value
            self._target = (self.policy or SlaPolicy()).tenant_target(tier)
        return self._target


@dataclass(frozen=True, slots=True)
class _TenantSlos:
    """The SLOs whose burn-rate rules one evaluation of a tenant covers, by id."""

    by_id: dict[str, Slo]
    budgets: SloBudgets


@dataclass(frozen=True)
class AlertEngine:
    """Evaluates rules against metric rollups, monitor states and SLOs' SLA windows and hands every change to
    the desk. Without `slos` and `sla_windows` there are no SLO burn-rate rules; without `timeslices` no hour
    of a timeslices SLO is closed; without `tenants` an SLO without an objective uses the policy's tier, else
    the basic tier."""

    desk: AlertDesk
    rollups: RollupStore
    monitors: MonitorRepository
    probe_states: ProbeStore
    slos: SloRepository | None = None
    sla_windows: SlaWindowReader | None = None
    tenants: TenantDirectory | None = None
    timeslices: TimesliceLedger | None = None

    @property
    def alerts(self) -> AlertStore:
        return self.desk.alerts

    @property
    def rules(self) -> AlertRuleRepository:
        return self.desk.rules

    # -- triggers -------------------------------------------------------------------------------------

    def evaluate_all(self, at: datetime) -> EvaluationReport:
        """The minute's evaluation: every tenant's rules (its own, its packs', its SLOs'), then every due
        group, then the outbox, then the hours of timeslices SLOs that have ended."""
        report = EvaluationReport()
        own_by_tenant: dict[str, list[AlertRule]] = defaultdict(list)
        for rule in self.rules.all_rules():
            own_by_tenant[rule.tenant_id].append(rule)
        every_slo = self.slos.all_slos() if self.slos is not None else []
        alerting_slos: dict[str, list[Slo]] = defaultdict(list)
        if self.sla_windows is not None:
            for slo in every_slo:
                if slo.definition.alerting.enabled:
                    alerting_slos[slo.tenant_id].append(slo)
        for tenant_id in sorted(set(own_by_tenant) | set(self.rules.tenants_with_policy()) | set(alerting_slos)):
            report.merge(
                self._evaluate_tenant(
                    tenant_id, at, own_by_tenant.get(tenant_id, []), slos=alerting_slos.get(tenant_id, [])
                )
            )
        report.merge(self.desk.flush_due(at))
        report.merge(self.desk.republish_outbox())
        report.timeslice_hours += self.close_timeslices([slo for slo in every_slo if uses_timeslices(slo)], at)
        return report

    def on_metrics_written(self, tenant_id: str, metrics: Iterable[str], at: datetime) -> EvaluationReport:
        """Right after an ingest: only the tenant's rules on those metrics, and its SLOs on them."""
        names = set(metrics)
        slos = [slo for slo in self._alerting_slos(tenant_id) if _slo_metric(slo) in names]
        return self._evaluate_tenant(
            tenant_id,
            at,
            self.rules.list_for_tenant(tenant_id),
            select=lambda r: _metric_of(r) in names or isinstance(r.definition, SloRule),
            slos=slos,
        )

    def on_rules_due(self, tenant_id: str, rule_ids: Iterable[str], at: datetime) -> EvaluationReport:
        """When a pending alert's `for` has elapsed: its rules, so it fires on time."""
        wanted = set(rule_ids)
        slos = [slo for slo in self._alerting_slos(tenant_id, wanted) if slo_rule_id(slo.id) in wanted]
        return self._evaluate_tenant(
            tenant_id, at, self.rules.list_for_tenant(tenant_id), select=lambda r: r.id in wanted, slos=slos
        )

    def on_probe_transition(self, event: TransitionEvent, at: datetime) -> EvaluationReport:
        """Right after a monitor changed state: the tenant's probe rules for that monitor, and its SLOs on it."""
        slos = [slo for slo in self._alerting_slos(event.tenant_id) if _slo_monitor(slo) == event.monitor_id]
        return self._evaluate_tenant(
            event.tenant_id,
            at,
            self.rules.list_for_tenant(event.tenant_id),
            select=lambda r: isinstance(r.definition, ProbeRule | SloRule),
            only_monitor=event.monitor_id,
            slos=slos,
        )

    def close_timeslices(self, slos: Sequence[Slo], at: datetime) -> int:
        """Count the slices of the last settled hour (and the one before, after a missed run) of each
        timeslices SLO into its hour and day windows, once. Returns the hours closed here."""
        if self.timeslices is None or self.sla_windows is None:
            return 0
        closed = 0
        hours = hours_to_close(at)
        for slo in slos:
            partition = timeslice_partition(slo)
            try:
                done = self.timeslices.closed_hours(partition, hours[0], hours[-1] + HOUR_S)
                for hour in hours:
                    if hour in done:
                        continue
                    minutes = self.sla_windows.windows(slo.window_partition, "minute", hour, hour + HOUR_S)
                    good, total = count_timeslices(slo, minutes, hour)
                    closed += self.timeslices.close_hour(partition, hour, good, total)
            except StoreUnavailableError as exc:  # the next minute tries again (and catches up an hour)
                logger.warning("could not close timeslices: %s", exc, extra={"slo": slo.id, "tenant": slo.tenant_id})
        return closed

    # -- evaluation -----------------------------------------------------------------------------------

    def _alerting_slos(self, tenant_id: str, rule_ids: Iterable[str] | None = None) -> list[Slo]:
        """The tenant's SLOs with burn-rate alerting (read only when SLO rules can be among `rule_ids`)."""
        if self.slos is None or self.sla_windows is None:
            return []
        if rule_ids is not None and not any(rule_id.startswith(SLO_RULE_PREFIX) for rule_id in rule_ids):
            return []
        return [slo for slo in self.slos.list_for_tenant(tenant_id) if slo.definition.alerting.enabled]

    def _evaluate_tenant(
        self,
        tenant_id: str,
        at: datetime,
        own_rules: Sequence[AlertRule],
        select: Callable[[AlertRule], bool] = lambda rule: True,
        only_monitor: str | None = None,
        slos: Sequence[Slo] = (),
    ) -> EvaluationReport:
        report = EvaluationReport(tenants=1)
        policy = self.desk.policy(tenant_id)
        tenant_slos = None
        derived: list[AlertRule] = []
        if slos and self.slos is not None:
            tenant_slos = _TenantSlos({slo.id: slo for slo in slos}, SloBudgets(tenant_id, self.slos, self.tenants))
            derived = slo_rules(slos, tenant_slos.budgets.timezone, at)
        rules = [rule for rule in effective_rules(tenant_id, own_rules, policy, at, derived) if select(rule)]
        if not rules:
            return report
        open_by_rule: dict[str, list[Alert]] = defaultdict(list)
        for alert in self.alerts.open_alerts(tenant_id):
            open_by_rule[alert.rule_id].append(alert)
        observations = self._observe(tenant_id, rules, open_by_rule, at, only_monitor)
        if tenant_slos is not None:
            observations.extend(self._observe_slos(rules, tenant_slos, at))
        report.rules = len(rules)
        for rule, rule_observations in observations:
            known = {alert.fingerprint: alert for alert in open_by_rule.get(rule.id, [])}
            unknown = [
                fp
                for fp in (fingerprint(tenant_id, rule.id, o.group_labels) for o in rule_observations if o.breached)
                if fp not in known
            ]
            if unknown:  # a breach without an open alert: a resolved one may exist (flaps, hand resolutions)
                known.update(self.alerts.get_many(tenant_id, unknown))
            for observation in rule_observations:
                report.observations += 1
                alert_fingerprint = fingerprint(tenant_id, rule.id, observation.group_labels)
                self._advance_and_store(tenant_id, rule, observation, known.get(alert_fingerprint), policy, at, report)
        return report

    def _observe(
        self,
        tenant_id: str,
        rules: Sequence[AlertRule],
        open_by_rule: dict[str, list[Alert]],
        at: datetime,
        only_monitor: str | None,
    ) -> list[tuple[AlertRule, list[Observation]]]:
        threshold_rules = [rule for rule in rules if isinstance(rule.definition, ThresholdRule)]
        probe_rules = [rule for rule in rules if isinstance(rule.definition, ProbeRule)]
        out: list[tuple[AlertRule, list[Observation]]] = []
        # One read per metric, however many rules watch it: the longest window among them.
        windows: dict[str, int] = {}
        for rule in threshold_rules:
            assert isinstance(rule.definition, ThresholdRule)
            windows[rule.definition.metric] = max(windows.get(rule.definition.metric, 0), rule.definition.window)
        minute = Resolution.MINUTE.bucket_start(at.timestamp())
        rollups = {
            metric: self.rollups.read(tenant_id, metric, Resolution.MINUTE, minute - window, minute + 60)
            for metric, window in windows.items()
        }
        for rule in threshold_rules:
            definition = rule.definition
            assert isinstance(definition, ThresholdRule)
            open_groups = [alert.group_labels for alert in open_by_rule.get(rule.id, [])]
            out.append((rule, observe_threshold_rule(definition, rule.id, rollups[definition.metric], at, open_groups)))
        if probe_rules:
            monitors = [
                monitor
                for monitor in self.monitors.list_for_tenant(tenant_id)
                if only_monitor is None or monitor.id == only_monitor
            ]
            states = self.probe_states.load_states([MonitorKey(tenant_id, monitor.id) for monitor in monitors])
            for rule in probe_rules:
                definition = rule.definition
                assert isinstance(definition, ProbeRule)
                found: list[Observation] = []
                for monitor in monitors:
                    state = states[MonitorKey(tenant_id, monitor.id)].state
                    observation = observe_monitor(
                        definition,
                        rule.id,
                        monitor.id,
                        monitor.definition.type,
                        monitor.definition.tags,
                        state.settled,
                        state.since,
                    )
                    if observation is not None:
                        found.append(observation)
                out.append((rule, found))
        return out

    def _observe_slos(
        self, rules: Sequence[AlertRule], tenant_slos: _TenantSlos, at: datetime
    ) -> list[tuple[AlertRule, list[Observation]]]:
        """Each SLO rule's one observation, from at most four reads of its SLO's SLA windows (read_plan)."""
        reader = self.sla_windows
        if reader is None:
            return []
        end = evaluation_end(at)
        out: list[tuple[AlertRule, list[Observation]]] = []
        for rule in rules:
            definition = rule.definition
            if not isinstance(definition, SloRule):
                continue
            slo = tenant_slos.by_id.get(definition.slo)
            if slo is None:
                continue  # its SLO is not part of this evaluation (or the rule was stored by hand)
            rows = slo_rows(slo, tenant_slos.budgets.timezone, at)
            plan = read_plan(end, window_lengths(rows))
            partition = slo.window_partition
            hours = reader.windows(partition, "hour", *plan.hours) if plan.hours is not None else []
            minutes = [found for low, high in plan.minutes for found in reader.windows(partition, "minute", low, high)]
            budget = error_budget(slo, tenant_slos.budgets.target)
            readings = read_rows(slo, SloWindows.of(hours, minutes), end, rows, budget)
            out.append((rule, [observe_slo(definition, rule.id, slo, readings)]))
        return out

    def _advance_and_store(
        self,
        tenant_id: str,
        rule: AlertRule,
        observation: Observation,
        alert: Alert | None,
        policy: AlertingPolicy,
        at: datetime,
        report: EvaluationReport,
    ) -> None:
        source = AlertSource.PROBE if isinstance(rule.definition, ProbeRule) else AlertSource.RULE
        # advance reads only what every kind has (name, labels, annotations, thresholds, cooldown).
        definition = cast("ThresholdRule | ProbeRule", rule.definition)
        for _ in range(MAX_WRITE_ATTEMPTS):
            change = advance(alert, observation, definition, tenant_id, source, at)
            if change is None:
                return
            if self.desk.store(change, policy, at, report):
                if change.alert.status is AlertStatus.PENDING:
                    self._evaluate_when_due(change.alert, rule, at)
                return
            report.conflicts += 1
            alert = self.alerts.get(tenant_id, fingerprint(tenant_id, rule.id, observation.group_labels))
        logger.warning("gave up on an alert after %d conflicts", MAX_WRITE_ATTEMPTS, extra={"rule": rule.id})

    def _evaluate_when_due(self, alert: Alert, rule: AlertRule, now: datetime) -> None:
        """Ask for the rule to be evaluated when the pending alert's first threshold will have held for its
        `for`; the minute's evaluation would be up to a minute late (and miss a breach that short)."""
        due = [
            alert.breaching_since[threshold.severity] + timedelta(seconds=threshold.for_seconds)
            for threshold in rule.definition.thresholds
            if threshold.severity in alert.breaching_since
        ]
        if not due:
            return
        delay = math.ceil((min(due) - now) / timedelta(seconds=1))
        if 0 < delay <= MAX_FLUSH_DELAY_S:
            try:
                self.desk.queue.schedule_evaluation(alert.tenant_id, [rule.id], delay)
            except Exception as exc:  # the minute's evaluation gets there anyway, a little later
                logger.warning("could not schedule an evaluation: %s", exc)


def _metric_of(rule: AlertRule) -> str | None:
    return rule.definition.metric if isinstance(rule.definition, ThresholdRule) else None


def _slo_metric(slo: Slo) -> str | None:
    sli = slo.definition.sli
    return sli.metric if isinstance(sli, RatioSli | MetricLatencySli) else None


def _slo_monitor(slo: Slo) -> str | None:
    sli = slo.definition.sli
    return sli.monitor if isinstance(sli, AvailabilitySli | LatencySli) else None


def _group_key_for(alert: Alert, policy: AlertingPolicy) -> str:
    return group_key(alert.tenant_id, group_labels_for(alert.labels, policy))
