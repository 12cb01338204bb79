"""The demo tenant `vigil local up` creates, so a newcomer has a key to push metrics with at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.models.tenants import SlaTier
from vigil_core.services.tenants import create_api_key, create_tenant

if TYPE_CHECKING:
    from vigil_cli.local.cloud import LocalCloud

DEMO_TENANT_ID = "demo"


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    api_key: str


def create_demo_tenant(cloud: LocalCloud) -> DemoTenant:
    """The demo tenant with a fresh key, in the config table the ingest function reads.

    On a backend that already holds the tenant (a LocalStack kept between runs), only a new key is made.
    """
    config_table = cloud.functions.get("ingest").environment["CONFIG_TABLE_NAME"]
    directory = DynamoDBTenantDirectory(config_table)
    now = datetime.now(UTC)
    if directory.get_tenant(DEMO_TENANT_ID) is None:
        _, issued = create_tenant(directory, DEMO_TENANT_ID, "Demo tenant", SlaTier.PROFESSIONAL, now)
    else:
        issued = create_api_key(directory, DEMO_TENANT_ID, now, label="vigil local up")
    return DemoTenant(tenant_id=DEMO_TENANT_ID, api_key=issued.plaintext)
