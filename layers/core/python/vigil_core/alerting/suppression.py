"""Why an alert should not be notified now: a maintenance window, a silence or an inhibiting alert.

Suppressed alerts are still recorded and published as transitions; only notifications skip them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from vigil_core.models.alerts import Alert, AlertStatus, InhibitRule, Silence, matches_all


class Suppressor:
    """Answers for every alert of one tenant against the silences, rules and alerts of one moment."""

    def __init__(
        self,
        silences: Sequence[Silence],
        inhibit_rules: Sequence[InhibitRule],
        in_maintenance: bool,
        open_alerts: Sequence[Alert],
        now: datetime,
    ) -> None:
        self._silences = [silence for silence in silences if silence.is_active(now)]
        self._inhibit_rules = tuple(inhibit_rules)
        self._in_maintenance = in_maintenance
        # Only alerts that fired inhibit: a pending one may never fire.
        self._sources = [
            alert for alert in open_alerts if alert.status in (AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED)
        ]

    def reason(self, alert: Alert) -> str | None:
        if self._in_maintenance:
            return "maintenance window"
        for silence in self._silences:
            if matches_all(silence.matchers, alert.labels):
                return f"silenced by {silence.id}"
        for rule in self._inhibit_rules:
            source = self._inhibiting(rule, alert)
            if source is not None:
                return f"inhibited by {source.fingerprint}"
        return None

    def _inhibiting(self, rule: InhibitRule, target: Alert) -> Alert | None:
        if not matches_all(rule.target, target.labels):
            return None
        # As Alertmanager: when the target could itself be a source, sources that are also targets are
        # ignored, so two alerts matching both sides do not mute each other.
        two_sided = matches_all(rule.source, target.labels)
        for source in self._sources:
            if (
                source.fingerprint != target.fingerprint
                and matches_all(rule.source, source.labels)
                and not (two_sided and matches_all(rule.target, source.labels))
                and all(source.labels.get(label, "") == target.labels.get(label, "") for label in rule.equal)
            ):
                return source
        return None
