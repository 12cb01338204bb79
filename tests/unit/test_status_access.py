"""Who may open a status page: a key in a header (scripts), a signed-in cookie (browsers), operators, and the
public variant once switched on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigil_core.adapters.memory import InMemoryTenantDirectory
from vigil_core.models.http import ApiRequest
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.models.tenants import Tenant
from vigil_core.services.auth import Authenticator
from vigil_core.services.status_access import STATUS_COOKIE, StatusPageAccess
from vigil_core.services.tenants import create_api_key

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
PAGE = "/api/status/acme"


@pytest.fixture
def directory() -> InMemoryTenantDirectory:
    directory = InMemoryTenantDirectory()
    for tenant_id in ("acme", "globex", "ops"):
        directory.put_tenant(Tenant(id=tenant_id, name=tenant_id.title(), created_at=NOW))
    return directory


@pytest.fixture
def access(directory: InMemoryTenantDirectory) -> StatusPageAccess:
    return StatusPageAccess(Authenticator(directory, cache_seconds=0), directory, frozenset({"ops"}))


def _key(directory: InMemoryTenantDirectory, tenant_id: str) -> str:
    return create_api_key(directory, tenant_id, NOW).plaintext


def _request(headers: dict[str, str] | None = None, body: str = "") -> ApiRequest:
    return ApiRequest(headers=headers or {}, query={}, body=body.encode())


def test_the_tenants_key_or_an_operators_opens_the_private_page(
    access: StatusPageAccess, directory: InMemoryTenantDirectory
) -> None:
    # Given the page's tenant has settings / When its key is sent as a header, or an operator's as a bearer token
    directory.put_status_page("acme", StatusPageSettings(title="Acme status"))
    own = access.private_page("acme", _request({"x-api-key": _key(directory, "acme")}))
    operator = access.private_page("acme", _request({"authorization": f"Bearer {_key(directory, 'ops')}"}))
    # Then both get the tenant's settings
    assert own.settings is not None and own.settings.title == "Acme status"
    assert operator.settings == own.settings


def test_no_key_asks_to_sign_in_and_other_keys_are_refused(
    access: StatusPageAccess, directory: InMemoryTenantDirectory
) -> None:
    # Given no key / Then no settings and no problem (the sign-in form, without an error)
    nothing = access.private_page("acme", _request())
    assert nothing.settings is None and nothing.problem is None and not nothing.forbidden
    # Given another tenant's key / Then forbidden, naming the page's tenant
    other = access.private_page("acme", _request({"x-api-key": _key(directory, "globex")}))
    assert other.settings is None and other.forbidden and "'acme'" in (other.problem or "")
    # Given an unknown key / Then refused, not forbidden
    unknown = access.private_page("acme", _request({"x-api-key": "vgl_000000000000_nope"}))
    assert unknown.settings is None and not unknown.forbidden and "unknown or revoked" in (unknown.problem or "")
    # Given an operator asking for a tenant that does not exist / Then not found
    missing = access.private_page("initech", _request({"x-api-key": _key(directory, "ops")}))
    assert missing.missing_tenant


def test_signing_in_sets_a_cookie_scoped_to_the_page_that_then_opens_it(
    access: StatusPageAccess, directory: InMemoryTenantDirectory
) -> None:
    # Given the sign-in form posted with the tenant's key
    key = _key(directory, "acme")
    outcome = access.sign_in("acme", _request(body=f"api_key={key}"), PAGE)
    # Then the answer sets an HttpOnly, Secure, SameSite=Strict cookie for this page's path only
    assert outcome.status == 303 and outcome.cookie is not None
    assert outcome.cookie.startswith(f"{STATUS_COOKIE}={key}; Path={PAGE};")
    assert {"HttpOnly", "Secure", "SameSite=Strict"} <= {part.strip() for part in outcome.cookie.split(";")}
    # And the browser sending it back gets the page
    decision = access.private_page("acme", _request({"cookie": f"theme=dark; {STATUS_COOKIE}={key}"}))
    assert decision.settings == StatusPageSettings()


def test_bad_sign_ins_are_refused_without_a_cookie(
    access: StatusPageAccess, directory: InMemoryTenantDirectory
) -> None:
    # Given an empty form, another tenant's key, a wrong key and a key with characters no key has
    cases = {
        "": 400,
        f"api_key={_key(directory, 'globex')}": 403,
        "api_key=vgl_000000000000_wrong": 401,
        "api_key=abc%0d%0aSet-Cookie:%20x=1": 401,
    }
    for body, status in cases.items():
        # When posted / Then refused with the status and no cookie
        outcome = access.sign_in("acme", _request(body=body), PAGE)
        assert (outcome.status, outcome.cookie) == (status, None), body
        assert outcome.problem


def test_a_cookie_whose_key_was_revoked_is_cleared(
    access: StatusPageAccess, directory: InMemoryTenantDirectory
) -> None:
    # Given a signed-in browser whose key was then revoked
    issued = create_api_key(directory, "acme", NOW)
    directory.put_api_key(issued.api_key.model_copy(update={"revoked_at": NOW}))
    # When it opens the page / Then it is asked to sign in again and the stale cookie is cleared
    decision = access.private_page("acme", _request({"cookie": f"{STATUS_COOKIE}={issued.plaintext}"}))
    assert decision.settings is None and decision.stale_cookie
    assert "Max-Age=0" in access.clear_cookie(PAGE)


def test_the_public_variant_exists_only_when_switched_on(
    access: StatusPageAccess, directory: InMemoryTenantDirectory
) -> None:
    # Given acme never set its page, globex switched the public page on, and initech does not exist
    directory.put_status_page("globex", StatusPageSettings(public=True, title="Globex"))
    # Then only globex's public page is served; the others are indistinguishable
    assert access.public_settings("acme") is None
    assert access.public_settings("initech") is None
    assert access.public_settings("../etc") is None
    public = access.public_settings("globex")
    assert public is not None and public.title == "Globex"
    # And switching it off again hides it
    directory.put_status_page("globex", StatusPageSettings(public=False))
    assert access.public_settings("globex") is None
