"""Tenants and their API keys. A key is shown once, at creation; only its SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

TENANT_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
API_KEY_PREFIX = "vgl"


class SlaTier(StrEnum):
    BASIC = "basic"
    PROFESSIONAL = "professional"
    ENTERPRISE = "enterprise"
    STANDARD = "standard"
    PREMIUM = "premium"


class Tenant(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=TENANT_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    sla_tier: SlaTier = SlaTier.BASIC
    created_at: AwareDatetime


class ApiKey(BaseModel):
    """A stored API key: the hash and who it belongs to, never the key itself."""

    model_config = ConfigDict(frozen=True)

    key_id: str = Field(pattern=r"^[a-f0-9]{12}$")
    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    key_hash: str = Field(pattern=r"^[a-f0-9]{64}$")
    label: str = Field(default="", max_length=200)
    created_at: AwareDatetime
    revoked_at: AwareDatetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class IssuedApiKey(BaseModel):
    """What key creation returns: the only moment the plaintext exists outside the caller."""

    model_config = ConfigDict(frozen=True)

    api_key: ApiKey
    plaintext: str


def hash_api_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_api_key(tenant_id: str, now: datetime, label: str = "") -> IssuedApiKey:
    key_id = secrets.token_hex(6)
    plaintext = f"{API_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    stored = ApiKey(key_id=key_id, tenant_id=tenant_id, key_hash=hash_api_key(plaintext), label=label, created_at=now)
    return IssuedApiKey(api_key=stored, plaintext=plaintext)
