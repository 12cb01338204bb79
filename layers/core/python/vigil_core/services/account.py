"""A tenant's own account: its API keys (create, list, revoke) and its status page settings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vigil_core.errors import bad_request, conflict, not_found
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.models.tenants import ApiKey, IssuedApiKey
from vigil_core.ports import MonitorRepository, TenantDirectory
from vigil_core.services.tenants import create_api_key
from vigil_core.validation import parse_body

# A tenant rotating keys needs a few at once; hundreds would be keys nobody tracks.
MAX_ACTIVE_KEYS = 20


class NewApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(default="", max_length=200)


def key_to_public(api_key: ApiKey) -> dict[str, Any]:
    """A key as the API shows it: never its hash, and its plaintext only once, at creation."""
    return {
        "key_id": api_key.key_id,
        "label": api_key.label,
        "created_at": api_key.created_at.isoformat(),
        "revoked_at": api_key.revoked_at.isoformat() if api_key.revoked_at else None,
        "active": api_key.active,
    }


def issued_to_public(issued: IssuedApiKey) -> dict[str, Any]:
    return {**key_to_public(issued.api_key), "api_key": issued.plaintext}


class AccountService:
    def __init__(self, directory: TenantDirectory, monitors: MonitorRepository, clock: Callable[[], datetime]) -> None:
        self.directory = directory
        self.monitors = monitors
        self.clock = clock

    def keys(self, tenant_id: str) -> list[ApiKey]:
        return self.directory.list_api_keys(tenant_id)

    def create_key(self, tenant_id: str, body: Any) -> IssuedApiKey:
        request = parse_body(NewApiKey, {} if body is None else body)
        active = sum(1 for key in self.keys(tenant_id) if key.active)
        if active >= MAX_ACTIVE_KEYS:
            raise conflict(f"the tenant already has {active} active keys (the most allowed); revoke one first")
        return create_api_key(self.directory, tenant_id, self.clock(), label=request.label)

    def revoke_key(self, tenant_id: str, key_id: str) -> ApiKey:
        """Revoking a revoked key answers with it as it is; the last active key cannot be revoked, or the
        tenant would lock itself out of its own API."""
        keys = self.keys(tenant_id)
        key = next((key for key in keys if key.key_id == key_id), None)
        if key is None:
            raise not_found(f"no API key {key_id!r}")
        if not key.active:
            return key
        if not any(other.active for other in keys if other.key_id != key_id):
            raise conflict("this is the tenant's last active key; create another before revoking it")
        revoked = key.model_copy(update={"revoked_at": self.clock()})
        self.directory.put_api_key(revoked)
        return revoked

    def status_page(self, tenant_id: str) -> StatusPageSettings:
        return self.directory.get_status_page(tenant_id) or StatusPageSettings()

    def put_status_page(self, tenant_id: str, body: Any) -> StatusPageSettings:
        if isinstance(body, dict) and "updated_at" in body:
            body = {name: value for name, value in body.items() if name != "updated_at"}  # set here, not by callers
        settings = parse_body(StatusPageSettings, body).model_copy(update={"updated_at": self.clock()})
        if settings.monitors is not None:
            known = {monitor.id for monitor in self.monitors.list_for_tenant(tenant_id)}
            for index, monitor_id in enumerate(settings.monitors):
                if monitor_id not in known:
                    raise bad_request(f"monitors[{index}]", f"no monitor {monitor_id!r}")
            if len(set(settings.monitors)) != len(settings.monitors):
                raise bad_request("monitors", "names a monitor more than once")
        self.directory.put_status_page(tenant_id, settings)
        return settings
