"""A tenant's own API keys and status page settings, on in-memory adapters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.unit.test_memory_probe_adapters import monitor
from vigil_core.adapters.memory import InMemoryTenantDirectory
from vigil_core.adapters.memory_probes import InMemoryMonitorRepository
from vigil_core.errors import VigilError
from vigil_core.models.tenants import hash_api_key
from vigil_core.services.account import MAX_ACTIVE_KEYS, AccountService, issued_to_public, key_to_public
from vigil_core.services.auth import Authenticator

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def directory() -> InMemoryTenantDirectory:
    return InMemoryTenantDirectory()


@pytest.fixture
def account(directory: InMemoryTenantDirectory) -> AccountService:
    monitors = InMemoryMonitorRepository()
    monitors.create(monitor("acme", "shop"))
    monitors.create(monitor("acme", "api"))
    monitors.create(monitor("globex", "billing"))
    return AccountService(directory, monitors, lambda: NOW)


def _refused(call: object, *args: object) -> VigilError:
    with pytest.raises(VigilError) as caught:
        call(*args)  # type: ignore[operator]
    return caught.value


def test_a_created_key_authenticates_as_its_tenant_and_is_shown_only_once(
    account: AccountService, directory: InMemoryTenantDirectory
) -> None:
    # Given a tenant / When it creates a labelled key
    issued = account.create_key("acme", {"label": "ci"})
    # Then the answer carries the plaintext once, and the listing never does (nor the hash)
    shown = issued_to_public(issued)
    assert shown["api_key"].startswith(f"vgl_{issued.api_key.key_id}_") and shown["label"] == "ci"
    [listed] = [key_to_public(key) for key in account.keys("acme")]
    assert "api_key" not in listed and "key_hash" not in listed and listed["active"] is True
    # And the key authenticates as the tenant
    assert Authenticator(directory).tenant_for({"x-api-key": issued.plaintext}) == "acme"
    assert directory.find_api_key(hash_api_key(issued.plaintext)) is not None


def test_a_revoked_key_stops_authenticating_and_revoking_again_answers_the_same(
    account: AccountService, directory: InMemoryTenantDirectory
) -> None:
    # Given two keys
    first = account.create_key("acme", None)
    account.create_key("acme", {"label": "second"})
    # When the first is revoked (twice)
    revoked = account.revoke_key("acme", first.api_key.key_id)
    again = account.revoke_key("acme", first.api_key.key_id)
    # Then it is inactive, stamped once, and refused by authentication
    assert revoked.revoked_at == NOW and again == revoked
    error = _refused(Authenticator(directory, cache_seconds=0).tenant_for, {"x-api-key": first.plaintext})
    assert error.status == 401


def test_the_last_active_key_cannot_be_revoked_and_another_tenants_key_is_not_found(account: AccountService) -> None:
    # Given a tenant with one key, and another tenant's key
    only = account.create_key("acme", None)
    other = account.create_key("globex", None)
    # When revoking them from acme / Then 409 for its last key, 404 for the other's (no hint it exists)
    assert _refused(account.revoke_key, "acme", only.api_key.key_id).status == 409
    assert _refused(account.revoke_key, "acme", other.api_key.key_id).status == 404
    assert account.keys("acme")[0].active


def test_bad_key_requests_name_the_field_and_the_number_of_keys_is_bounded(account: AccountService) -> None:
    # Given a label too long and an unknown field / Then 400 naming them
    error = _refused(account.create_key, "acme", {"label": "x" * 201})
    assert error.status == 400 and error.problems[0].field == "label"
    assert _refused(account.create_key, "acme", {"name": "ci"}).problems[0].field == "name"
    assert _refused(account.create_key, "acme", ["ci"]).problems[0].field == "body"
    # And once the tenant has the most active keys allowed, another is refused with 409
    for _ in range(MAX_ACTIVE_KEYS):
        account.create_key("acme", None)
    assert _refused(account.create_key, "acme", None).status == 409


def test_status_page_settings_are_private_by_default_and_validated(account: AccountService) -> None:
    # Given a tenant that never set its page / Then the page is private and shows every monitor
    assert account.status_page("acme").public is False and account.status_page("acme").monitors is None
    # When it switches the public page on for two monitors (its updated_at is set here, not by the caller)
    saved = account.put_status_page(
        "acme", {"public": True, "title": "Acme", "monitors": ["shop", "api"], "updated_at": "2000-01-01T00:00:00Z"}
    )
    # Then the settings are stored as given, stamped now
    assert account.status_page("acme") == saved
    assert saved.public and saved.monitors == ("shop", "api") and saved.updated_at == NOW
    # And an unknown monitor (another tenant's too), a repeat, a bad type or field are refused naming the field
    assert _refused(account.put_status_page, "acme", {"monitors": ["shop", "billing"]}).problems[0].field == (
        "monitors[1]"
    )
    assert _refused(account.put_status_page, "acme", {"monitors": ["shop", "shop"]}).problems[0].field == "monitors"
    assert _refused(account.put_status_page, "acme", {"public": "maybe"}).problems[0].field == "public"
    assert _refused(account.put_status_page, "acme", {"colour": "red"}).problems[0].field == "colour"
    assert _refused(account.put_status_page, "acme", None).status == 400
    # And nothing refused replaced what was stored
    assert account.status_page("acme") == saved
