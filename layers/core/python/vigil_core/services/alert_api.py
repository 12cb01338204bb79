"""The alert API's logic: listing with filters and cursors, operator actions, custom alerts, silences.

Every call is scoped to the caller's tenant: an alert id of another tenant is simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from vigil_core.errors import bad_request, conflict, not_found
from vigil_core.models.alerts import (
    MAX_SILENCE_S,
    AcknowledgeInput,
    Alert,
    AlertStatus,
    CustomAlertInput,
    ResolveInput,
    Severity,
    Silence,
    SilenceInput,
)
from vigil_core.ports import AlertPage
from vigil_core.services.alerting import AlertDesk
from vigil_core.validation import parse_body

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _enum_param(params: Mapping[str, str], name: str, kind: type[AlertStatus] | type[Severity]) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return kind(raw.strip().lower())
    except ValueError:
        raise bad_request(name, "must be one of " + ", ".join(member.value for member in kind)) from None


class AlertApi:
    def __init__(self, desk: AlertDesk) -> None:
        self._desk = desk

    def list_alerts(self, tenant_id: str, params: Mapping[str, str] | None) -> AlertPage:
        params = params or {}
        unknown = sorted(set(params) - {"status", "severity", "limit", "cursor"})
        if unknown:
            raise bad_request(unknown[0], "unknown query parameter (use status, severity, limit and cursor)")
        status = _enum_param(params, "status", AlertStatus)
        severity = _enum_param(params, "severity", Severity)
        limit_text = params.get("limit") or str(DEFAULT_PAGE_SIZE)
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE_SIZE:
            raise bad_request("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}")
        return self._desk.alerts.page(tenant_id, status, severity, int(limit_text), params.get("cursor") or None)

    def get(self, tenant_id: str, alert_id: str) -> Alert:
        alert = self._desk.alerts.get(tenant_id, alert_id)
        if alert is None:
            raise not_found(f"alert {alert_id!r} not found")
        return alert

    def acknowledge(self, tenant_id: str, alert_id: str, body: Any, caller: str) -> Alert:
        return self._desk.acknowledge(tenant_id, alert_id, parse_body(AcknowledgeInput, body or {}), caller)

    def resolve(self, tenant_id: str, alert_id: str, body: Any, caller: str) -> Alert:
        return self._desk.resolve(tenant_id, alert_id, parse_body(ResolveInput, body or {}), caller)

    def raise_custom(self, tenant_id: str, body: Any) -> Alert:
        return self._desk.raise_custom(tenant_id, parse_body(CustomAlertInput, body))

    # -- silences -------------------------------------------------------------------------------------

    def create_silence(self, tenant_id: str, body: Any) -> Silence:
        request = parse_body(SilenceInput, body)
        now = self._desk.clock()
        starts_at = request.starts_at or now
        if request.ends_at <= starts_at:
            raise bad_request("ends_at", "must be after starts_at")
        if request.ends_at <= now:
            raise bad_request("ends_at", "is in the past: the silence would never apply")
        if request.ends_at - starts_at > timedelta(seconds=MAX_SILENCE_S):
            raise bad_request("ends_at", "a silence may last at most 90 days")
        silence = Silence(
            tenant_id=tenant_id,
            id=uuid.uuid4().hex,
            matchers=request.matchers,
            starts_at=starts_at,
            ends_at=request.ends_at,
            created_by=request.created_by,
            comment=request.comment,
            created_at=now,
        )
        self._desk.alerts.put_silence(silence)
        return silence

    def list_silences(self, tenant_id: str) -> list[Silence]:
        return self._desk.alerts.silences(tenant_id)

    def expire_silence(self, tenant_id: str, silence_id: str) -> Silence:
        """Ends a silence now (kept, as expired, for the record); its alerts notify at the next flush."""
        silence = next((s for s in self._desk.alerts.silences(tenant_id) if s.id == silence_id), None)
        if silence is None:
            raise not_found(f"silence {silence_id!r} not found")
        now = self._desk.clock()
        if silence.state(now) == "expired":
            raise conflict(f"silence {silence_id!r} has already expired")
        expired = silence.model_copy(update={"ends_at": max(now, silence.starts_at)})
        self._desk.alerts.put_silence(expired)
        return expired
