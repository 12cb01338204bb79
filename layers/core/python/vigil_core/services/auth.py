"""API key authentication: the tenant always comes from the key, never from the request body."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from vigil_core.errors import unauthorized
from vigil_core.models.tenants import hash_api_key
from vigil_core.ports import TenantDirectory

MAX_KEY_LENGTH = 256


def api_key_from_headers(headers: Mapping[str, str]) -> str:
    """The key from `x-api-key` or `Authorization: Bearer <key>` (header names are case-insensitive)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    key = lowered.get("x-api-key", "").strip()
    if not key:
        scheme, _, credentials = lowered.get("authorization", "").strip().partition(" ")
        if scheme.lower() == "bearer":
            key = credentials.strip()
    if not key:
        raise unauthorized("missing API key: send it as x-api-key or Authorization: Bearer <key>")
    if len(key) > MAX_KEY_LENGTH:
        raise unauthorized("unknown or revoked API key")
    return key


@dataclass(frozen=True, slots=True)
class Caller:
    tenant_id: str
    key_id: str
    label: str

    @property
    def name(self) -> str:
        """Who did something, as recorded on alerts: the key's label, else its id."""
        return f"api-key:{self.label or self.key_id}"


class Authenticator:
    """Resolves keys to tenants, remembering answers briefly so a warm function skips the lookup.

    A revoked key therefore stops working within `cache_seconds`.
    """

    def __init__(
        self,
        directory: TenantDirectory,
        cache_seconds: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._cache: dict[str, tuple[Caller, float]] = {}
        self._lock = threading.Lock()

    def tenant_for(self, headers: Mapping[str, str]) -> str:
        return self.caller_for(headers).tenant_id

    def caller_for(self, headers: Mapping[str, str]) -> Caller:
        key_hash = hash_api_key(api_key_from_headers(headers))
        now = self._monotonic()
        with self._lock:
            cached = self._cache.get(key_hash)
        if cached is not None and cached[1] > now:
            return cached[0]
        api_key = self.directory.find_api_key(key_hash)
        if api_key is None or not api_key.active:
            raise unauthorized("unknown or revoked API key")
        caller = Caller(api_key.tenant_id, api_key.key_id, api_key.label)
        with self._lock:
            self._cache[key_hash] = (caller, now + self.cache_seconds)
        return caller
