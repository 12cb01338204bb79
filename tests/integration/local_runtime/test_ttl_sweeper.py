"""DynamoDB TTL: moto records the setting, the sweeper deletes what AWS would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from vigil_cli.local.ttl_sweeper import ttl_tables_from_stack

from .conftest import StartCloud, wait_until
from .templates import table, template

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_sweep_deletes_only_items_whose_numeric_ttl_has_passed(start_cloud: StartCloud) -> None:
    # Given a TTL table with items expired, not yet expired, and not eligible
    cloud = start_cloud(template({"Rollups": table(ttl_attribute="expires_at"), "Plain": table()}))
    dynamodb = boto3.client("dynamodb", endpoint_url=cloud.backend_url, region_name="us-east-1")
    name = cloud.physical_id("Rollups")
    now_s = int(NOW.timestamp())
    items = {
        "expired": {"expires_at": {"N": str(now_s - 10)}},
        "expired-fraction": {"expires_at": {"N": f"{now_s - 1}.5"}},
        "future": {"expires_at": {"N": str(now_s + 3600)}},
        "string-ttl": {"expires_at": {"S": str(now_s - 10)}},
        "no-ttl": {},
        "over-five-years-old": {"expires_at": {"N": str(now_s - 6 * 365 * 86400)}},
        "milliseconds": {"expires_at": {"N": str(now_s * 1000)}},
    }
    for key, attributes in items.items():
        dynamodb.put_item(TableName=name, Item={"pk": {"S": key}, **attributes})

    # When the sweeper runs at NOW
    deleted = cloud.sweeper.sweep(NOW)

    # Then exactly the expired items are gone
    remaining = sorted(item["pk"]["S"] for item in dynamodb.scan(TableName=name)["Items"])
    assert deleted == 2
    assert remaining == ["future", "milliseconds", "no-ttl", "over-five-years-old", "string-ttl"]
    assert [table_.table_name for table_ in ttl_tables_from_stack(cloud.stack)] == [name]


def test_the_sweeper_thread_expires_items_on_its_own(start_cloud: StartCloud) -> None:
    cloud = start_cloud(template({"Rollups": table(ttl_attribute="ttl")}), start_sweeper=True, ttl_interval_s=0.2)
    dynamodb = boto3.client("dynamodb", endpoint_url=cloud.backend_url, region_name="us-east-1")
    name = cloud.physical_id("Rollups")
    expired_at = int((datetime.now(UTC) - timedelta(seconds=5)).timestamp())
    dynamodb.put_item(TableName=name, Item={"pk": {"S": "old"}, "ttl": {"N": str(expired_at)}})

    wait_until(lambda: not dynamodb.scan(TableName=name)["Items"], timeout_s=5)
