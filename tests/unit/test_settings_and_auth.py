"""Function settings come from the environment with no silent defaults; keys resolve to tenants."""

from __future__ import annotations

import pytest

from tests.support import InMemoryVigil
from vigil_core.errors import VigilError
from vigil_core.models.tenants import hash_api_key
from vigil_core.services.auth import Authenticator, api_key_from_headers
from vigil_core.settings import IngestSettings, QuerySettings, SettingsError, load_settings

FULL_ENV = {
    "CONFIG_TABLE_NAME": "vigil-config",
    "METRICS_TABLE_NAME": "vigil-metrics",
    "IDEMPOTENCY_TABLE_NAME": "vigil-idempotency",
    "METRICS_TTL_MINUTE_DAYS": "7",
    "METRICS_TTL_HOUR_DAYS": "90",
    "METRICS_TTL_DAY_DAYS": "400",
    "SLA_WINDOWS_TABLE_NAME": "vigil-sla-windows",
}


def test_settings_are_read_from_upper_case_variables() -> None:
    settings = load_settings(IngestSettings, FULL_ENV)
    assert settings.metrics_table_name == "vigil-metrics"
    assert settings.metrics_ttl_day_days == 400


def test_each_missing_variable_is_named() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(QuerySettings, {})
    assert str(caught.value) == "QuerySettings: CONFIG_TABLE_NAME is not set; METRICS_TABLE_NAME is not set"


def test_a_malformed_variable_is_named_with_the_reason() -> None:
    with pytest.raises(SettingsError, match="METRICS_TTL_HOUR_DAYS is invalid"):
        load_settings(IngestSettings, {**FULL_ENV, "METRICS_TTL_HOUR_DAYS": "-1"})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-api-key": "k1"}, "k1"),
        ({"X-Api-Key": " k1 "}, "k1"),
        ({"Authorization": "Bearer k2"}, "k2"),
        ({"authorization": "bearer   k2"}, "k2"),
        ({"x-api-key": "k1", "Authorization": "Bearer k2"}, "k1"),
    ],
)
def test_the_key_is_read_from_either_header(headers: dict[str, str], expected: str) -> None:
    assert api_key_from_headers(headers) == expected


def test_known_keys_are_cached_for_a_while_then_looked_up_again() -> None:
    # Given a directory that counts look-ups and a clock we control
    wiring = InMemoryVigil()
    wiring.add_key("tenant-a", "key-a")
    lookups: list[str] = []
    original = wiring.directory.find_api_key

    def counting(key_hash: str):  # type: ignore[no-untyped-def]
        lookups.append(key_hash)
        return original(key_hash)

    wiring.directory.find_api_key = counting  # type: ignore[method-assign]
    clock = [0.0]
    auth = Authenticator(wiring.directory, cache_seconds=60, monotonic=lambda: clock[0])
    # When the same key authenticates three times, the last after the cache expired
    tenants = [auth.tenant_for({"x-api-key": "key-a"})]
    clock[0] = 59
    tenants.append(auth.tenant_for({"x-api-key": "key-a"}))
    clock[0] = 61
    tenants.append(auth.tenant_for({"x-api-key": "key-a"}))
    # Then it resolves to its tenant each time with two look-ups, never storing the plaintext
    assert tenants == ["tenant-a"] * 3
    assert lookups == [hash_api_key("key-a")] * 2


def test_an_unknown_key_is_not_cached() -> None:
    wiring = InMemoryVigil()
    auth = Authenticator(wiring.directory)
    with pytest.raises(VigilError):
        auth.tenant_for({"x-api-key": "later"})
    wiring.add_key("tenant-a", "later")
    assert auth.tenant_for({"x-api-key": "later"}) == "tenant-a"
