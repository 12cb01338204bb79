"""Who may see a status page. The private page takes the tenant's (or an operator's) API key, from a header
for scripts or from a cookie a browser gets by signing in with the key; the public variant needs nothing, once
the tenant has switched it on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from vigil_core.errors import VigilError
from vigil_core.models.http import ApiRequest
from vigil_core.models.status_page import StatusPageSettings
from vigil_core.models.tenants import TENANT_ID_PATTERN
from vigil_core.ports import TenantDirectory
from vigil_core.services.auth import Authenticator, api_key_from_headers

STATUS_COOKIE = "vigil_status_key"
COOKIE_MAX_AGE_S = 12 * 3600
# What vigil's keys are made of; anything else is refused before it could reach a Set-Cookie header.
_KEY_CHARACTERS = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TENANT_ID = re.compile(TENANT_ID_PATTERN)


@dataclass(frozen=True, slots=True)
class PageDecision:
    """The settings to render with, or why not (no key yet, a bad key, another tenant's key, no such tenant)."""

    settings: StatusPageSettings | None
    problem: str | None = None
    forbidden: bool = False
    missing_tenant: bool = False
    stale_cookie: bool = False  # a cookie whose key no longer works: cleared with the answer


@dataclass(frozen=True, slots=True)
class SignIn:
    status: int
    cookie: str | None = None  # the Set-Cookie value on success
    problem: str | None = None


class StatusPageAccess:
    def __init__(self, authenticator: Authenticator, directory: TenantDirectory, operators: frozenset[str]) -> None:
        self.authenticator = authenticator
        self.directory = directory
        self.operators = operators

    def private_page(self, tenant_id: str, request: ApiRequest) -> PageDecision:
        key, from_cookie = _presented_key(request)
        if key is None:
            return PageDecision(None)
        problem, forbidden = self._refusal(tenant_id, key)
        if problem is not None:
            return PageDecision(None, problem, forbidden=forbidden, stale_cookie=from_cookie)
        if self.directory.get_tenant(tenant_id) is None:
            return PageDecision(None, f"no tenant {tenant_id!r}", missing_tenant=True)
        return PageDecision(self.directory.get_status_page(tenant_id) or StatusPageSettings())

    def sign_in(self, tenant_id: str, request: ApiRequest, page_path: str) -> SignIn:
        try:
            form = parse_qs((request.body or b"").decode(), max_num_fields=10)
        except (UnicodeDecodeError, ValueError):
            return SignIn(400, problem="the form could not be read")
        key = (form.get("api_key") or [""])[0].strip()
        if not key:
            return SignIn(400, problem="enter an API key")
        problem, forbidden = self._refusal(tenant_id, key)
        if problem is not None:
            return SignIn(403 if forbidden else 401, problem=problem)
        cookie = (
            f"{STATUS_COOKIE}={key}; Path={page_path}; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; Secure; SameSite=Strict"
        )
        return SignIn(303, cookie=cookie)

    def clear_cookie(self, page_path: str) -> str:
        return f"{STATUS_COOKIE}=; Path={page_path}; Max-Age=0; HttpOnly; Secure; SameSite=Strict"

    def public_settings(self, tenant_id: str) -> StatusPageSettings | None:
        if not _TENANT_ID.match(tenant_id) or self.directory.get_tenant(tenant_id) is None:
            return None
        settings = self.directory.get_status_page(tenant_id)
        return settings if settings is not None and settings.public else None

    def _refusal(self, tenant_id: str, key: str) -> tuple[str | None, bool]:
        """Why the key may not open this tenant's page (and whether that is a 403), or None when it may."""
        if not _KEY_CHARACTERS.match(key):
            return "unknown or revoked API key", False
        try:
            caller = self.authenticator.caller_for({"x-api-key": key})
        except VigilError as error:
            return error.message, False
        if caller.tenant_id != tenant_id and caller.tenant_id not in self.operators:
            return f"this API key belongs to another tenant, not {tenant_id!r}", True
        return None, False


def _presented_key(request: ApiRequest) -> tuple[str | None, bool]:
    """The key from `x-api-key`/`Authorization` (scripts), else from the sign-in cookie (browsers)."""
    if request.header("x-api-key") or request.header("authorization"):
        try:
            return api_key_from_headers(request.headers), False
        except VigilError:
            return None, False
    raw = request.header("cookie")
    if not raw:
        return None, False
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(raw)
    except CookieError:
        return None, False
    morsel = cookies.get(STATUS_COOKIE)
    return (morsel.value, True) if morsel is not None and morsel.value else (None, False)
