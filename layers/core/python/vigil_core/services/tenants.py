"""Creating tenants and their API keys."""

from __future__ import annotations

from datetime import datetime

from vigil_core.errors import conflict
from vigil_core.models.tenants import IssuedApiKey, SlaTier, Tenant, issue_api_key
from vigil_core.ports import TenantDirectory


def create_tenant(
    directory: TenantDirectory, tenant_id: str, name: str, sla_tier: SlaTier, now: datetime
) -> tuple[Tenant, IssuedApiKey]:
    """A new tenant with its first API key; the key's plaintext is returned here and never stored."""
    if directory.get_tenant(tenant_id) is not None:
        raise conflict(f"tenant {tenant_id!r} already exists")
    tenant = Tenant(id=tenant_id, name=name, sla_tier=sla_tier, created_at=now)
    directory.put_tenant(tenant)
    return tenant, create_api_key(directory, tenant_id, now, label="first key")


def create_api_key(directory: TenantDirectory, tenant_id: str, now: datetime, label: str = "") -> IssuedApiKey:
    issued = issue_api_key(tenant_id, now, label)
    directory.put_api_key(issued.api_key)
    return issued
