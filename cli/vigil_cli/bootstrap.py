"""The demo tenant `vigil local up` creates, so a newcomer has a key to push metrics with at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.models.tenants import ApiKey, SlaTier, hash_api_key
from vigil_core.services.tenants import create_api_key, create_tenant

if TYPE_CHECKING:
    from vigil_cli.local.cloud import LocalCloud

DEMO_TENANT_ID = "demo"
# The key the sample events in events/ carry. Only the local cloud registers it (for the demo tenant), so
# `vigil local invoke FUNCTION events/NAME.json` works against a running local cloud as it is.
SAMPLE_EVENTS_KEY_ID = "0a1b2c3d4e5f"
SAMPLE_EVENTS_API_KEY = f"vgl_{SAMPLE_EVENTS_KEY_ID}_sample-key-used-only-by-the-sample-events"


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    api_key: str


def create_demo_tenant(cloud: LocalCloud) -> DemoTenant:
    """The demo tenant with a fresh key (and the sample events' key), in the config table the functions read.

    On a backend that already holds the tenant (a LocalStack kept between runs), only a new key is made.
    """
    config_table = cloud.functions.get("ingest").environment["CONFIG_TABLE_NAME"]
    directory = DynamoDBTenantDirectory(config_table)
    now = datetime.now(UTC)
    if directory.get_tenant(DEMO_TENANT_ID) is None:
        _, issued = create_tenant(directory, DEMO_TENANT_ID, "Demo tenant", SlaTier.PROFESSIONAL, now)
    else:
        issued = create_api_key(directory, DEMO_TENANT_ID, now, label="vigil local up")
    directory.put_api_key(
        ApiKey(
            key_id=SAMPLE_EVENTS_KEY_ID,
            tenant_id=DEMO_TENANT_ID,
            key_hash=hash_api_key(SAMPLE_EVENTS_API_KEY),
            label="the sample events in events/",
            created_at=now,
        )
    )
    return DemoTenant(tenant_id=DEMO_TENANT_ID, api_key=issued.plaintext)


def enable_default_rule_pack(cloud: LocalCloud, tenant_id: str = DEMO_TENANT_ID) -> bool:
    """Turn on the shipped default rule pack for the tenant, unless it already has an alerting policy (a
    kept backend's policy is the user's). Returns whether it did."""
    from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
    from vigil_core.models.alerts import AlertingPolicy

    rules = DynamoDbAlertRuleRepository(cloud.functions.get("alerts").environment["CONFIG_TABLE_NAME"])
    if rules.get_policy(tenant_id) is not None:
        return False
    rules.put_policy(tenant_id, AlertingPolicy(rule_packs=("default",)))
    return True
