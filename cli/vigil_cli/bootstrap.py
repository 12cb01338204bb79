"""The demo tenant `vigil local up` creates, so a newcomer has a key to push metrics with at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.models.tenants import ApiKey, IssuedApiKey, SlaTier, hash_api_key
from vigil_core.services.tenants import create_api_key, create_tenant

if TYPE_CHECKING:
    from vigil_cli.local.cloud import LocalCloud

DEMO_TENANT_ID = "demo"
# The key the sample events in events/ carry. Only the local cloud registers it (for the demo tenant), so
# `vigil local invoke FUNCTION events/NAME.json` works as it is, on a running local cloud or a short-lived one.
SAMPLE_EVENTS_KEY_ID = "0a1b2c3d4e5f"
SAMPLE_EVENTS_API_KEY = f"vgl_{SAMPLE_EVENTS_KEY_ID}_sample-key-used-only-by-the-sample-events"
# The Slack channel `vigil local up` gives the demo tenant: its secret holds the local demo channel's URL.
DEMO_CHANNEL_ID = "demo-slack"
DEMO_CHANNEL_SECRET = f"vigil/notify/{DEMO_CHANNEL_ID}"
DEMO_GROUP_WAIT_S = 0


@dataclass(frozen=True)
class DemoTenant:
    tenant_id: str
    api_key: str


def create_demo_tenant(cloud: LocalCloud) -> DemoTenant:
    """The demo tenant with a fresh key (and the sample events' key), in the config table the functions read.

    On a backend that already holds the tenant (a LocalStack kept between runs), only a new key is made.
    """
    directory, created = _demo_tenant_directory(cloud)
    issued = created or create_api_key(directory, DEMO_TENANT_ID, datetime.now(UTC), label="vigil local up")
    return DemoTenant(tenant_id=DEMO_TENANT_ID, api_key=issued.plaintext)


def register_sample_events_key(cloud: LocalCloud) -> None:
    """The demo tenant (if missing) and the sample events' key, so that events/ work on a short-lived cloud."""
    _demo_tenant_directory(cloud)


def _demo_tenant_directory(cloud: LocalCloud) -> tuple[DynamoDBTenantDirectory, IssuedApiKey | None]:
    """The config table's tenant directory with the demo tenant and the sample events' key in it, and the key
    issued with the tenant if this call created it."""
    directory = DynamoDBTenantDirectory(cloud.functions.get("ingest").environment["CONFIG_TABLE_NAME"])
    now = datetime.now(UTC)
    created = None
    if directory.get_tenant(DEMO_TENANT_ID) is None:
        _, created = create_tenant(directory, DEMO_TENANT_ID, "Demo tenant", SlaTier.PROFESSIONAL, now)
    directory.put_api_key(
        ApiKey(
            key_id=SAMPLE_EVENTS_KEY_ID,
            tenant_id=DEMO_TENANT_ID,
            key_hash=hash_api_key(SAMPLE_EVENTS_API_KEY),
            label="the sample events in events/",
            created_at=now,
        )
    )
    return directory, created


def enable_default_rule_pack(cloud: LocalCloud, tenant_id: str = DEMO_TENANT_ID) -> bool:
    """Turn on the shipped default rule pack for the tenant, unless it already has an alerting policy (a
    kept backend's policy is the user's). Returns whether it did.

    Groups are notified as soon as an alert fires (group_wait 0): the demo service is down for about half a
    minute past service-down's `for`, so with the default group_wait (30 s) its alert would always be resolved
    before the group's first flush, and a resolution nobody was told of is not sent.
    """
    from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
    from vigil_core.models.alerts import AlertingPolicy

    rules = DynamoDbAlertRuleRepository(cloud.functions.get("alerts").environment["CONFIG_TABLE_NAME"])
    if rules.get_policy(tenant_id) is not None:
        return False
    rules.put_policy(tenant_id, AlertingPolicy(rule_packs=("default",), group_wait=DEMO_GROUP_WAIT_S))
    return True


def enable_demo_channel(cloud: LocalCloud, webhook_url: str, tenant_id: str = DEMO_TENANT_ID) -> bool:
    """Send the tenant's notifications to a Slack webhook at `webhook_url` (the local demo channel).

    The URL goes into the Secrets Manager secret the channel names (created, or given a new value: the port
    may differ from a kept backend's last run). The tenant gets a notification policy with that one Slack
    channel and the default routes, and an escalation policy with the default levels paging that channel, unless
    it already has them (a kept backend's policies are the user's).
    Returns whether the tenant's policy has a Slack channel reading that secret.
    """
    from vigil_core.adapters.aws import secretsmanager_client
    from vigil_core.adapters.dynamodb_alert_rules import DynamoDbAlertRuleRepository
    from vigil_core.models.escalation import EscalationPolicy
    from vigil_core.models.notifications import Channel, ChannelType, NotificationPolicy

    secrets = secretsmanager_client()
    try:
        secrets.create_secret(
            Name=DEMO_CHANNEL_SECRET,
            SecretString=webhook_url,
            Description="vigil local up: the local demo channel standing in for a Slack incoming webhook",
        )
    except secrets.exceptions.ResourceExistsException:
        secrets.put_secret_value(SecretId=DEMO_CHANNEL_SECRET, SecretString=webhook_url)

    reference = f"secretsmanager:{DEMO_CHANNEL_SECRET}"
    rules = DynamoDbAlertRuleRepository(cloud.functions.get("notifier-slack").environment["CONFIG_TABLE_NAME"])
    policy = rules.get_notification_policy(tenant_id)
    if policy is None:
        policy = NotificationPolicy(channels=(Channel(id=DEMO_CHANNEL_ID, type=ChannelType.SLACK, secret=reference),))
        rules.put_notification_policy(tenant_id, policy)
        if rules.get_escalation_policy(tenant_id) is None:
            # The default levels page PagerDuty and SMS, which the demo has not: escalate to the channel instead.
            levels = {
                severity: tuple(level.model_copy(update={"targets": (DEMO_CHANNEL_ID,)}) for level in default)
                for severity, default in EscalationPolicy().levels.items()
            }
            rules.put_escalation_policy(tenant_id, EscalationPolicy(levels=levels))
    return any(channel.type is ChannelType.SLACK and channel.secret == reference for channel in policy.channels)


DEMO_SLOS: tuple[dict[str, Any], ...] = (
    {
        "id": "demo-shop-availability",
        "name": "Demo shop availability",
        "sli": {"kind": "availability", "monitor": "demo-shop"},
        "window": {"kind": "rolling", "days": 30},
    },
    {
        "id": "checkout-errors",
        "name": "Checkout errors",
        "description": "5xx responses of the checkout service (the demo pushes them)",
        "sli": {
            "kind": "ratio",
            "metric": "http.requests",
            "matchers": [{"label": "service", "value": "checkout"}],
            "bad": [{"label": "status", "value": "5xx"}],
        },
        "objective_pct": 99.0,
        "window": {"kind": "month"},
    },
)


def create_demo_slos(cloud: LocalCloud, tenant_id: str = DEMO_TENANT_ID) -> list[str]:
    """The demo tenant's SLOs (the flapping shop's availability, checkout's error rate), unless it has SLOs
    already (a kept backend's are the user's). Returns the ids created."""
    from vigil_core.adapters.dynamodb_slos import DynamoDbSloRepository
    from vigil_core.models.slo import Slo
    from vigil_core.services.slos import parse_slo

    slos = DynamoDbSloRepository(cloud.functions.get("sla").environment["CONFIG_TABLE_NAME"])
    if slos.list_for_tenant(tenant_id):
        return []
    now = datetime.now(UTC)
    for body in DEMO_SLOS:
        definition = parse_slo(body)
        slos.put(Slo(tenant_id=tenant_id, id=definition.slo_id, definition=definition, created_at=now, updated_at=now))
    return [body["id"] for body in DEMO_SLOS]


def enable_demo_status_page(cloud: LocalCloud, tenant_id: str = DEMO_TENANT_ID) -> bool:
    """Switch the demo tenant's public status page on, unless it has settings already (a kept backend's are the
    user's). Returns whether it did."""
    from vigil_core.models.status_page import StatusPageSettings

    directory = DynamoDBTenantDirectory(cloud.functions.get("account").environment["CONFIG_TABLE_NAME"])
    if directory.get_status_page(tenant_id) is not None:
        return False
    settings = StatusPageSettings(
        public=True,
        title="vigil demo status",
        description="The demo services `vigil local up` watches: one steady, one that flaps every few minutes.",
        updated_at=datetime.now(UTC),
    )
    directory.put_status_page(tenant_id, settings)
    return True


def create_operator_key(cloud: LocalCloud) -> DemoTenant | None:
    """A key of the first operator tenant the dashboard function names (OPERATOR_TENANTS), for the platform
    overview; None when the stack names none."""
    environment = cloud.functions.get("dashboard").environment
    operators = [tenant.strip() for tenant in environment.get("OPERATOR_TENANTS", "").split(",") if tenant.strip()]
    if not operators:
        return None
    directory = DynamoDBTenantDirectory(environment["CONFIG_TABLE_NAME"])
    now = datetime.now(UTC)
    if directory.get_tenant(operators[0]) is None:
        _, issued = create_tenant(directory, operators[0], "Operators", SlaTier.ENTERPRISE, now)
    else:
        issued = create_api_key(directory, operators[0], now, label="vigil local up")
    return DemoTenant(tenant_id=operators[0], api_key=issued.plaintext)
