"""What one check saw, before any judgement, and the judgement made of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Observation:
    """The raw facts of one check attempt. Fields a check type does not produce stay None.

    `error` is set when the check could not complete (refused, timed out, TLS handshake failed…);
    the other fields then hold what was learned before the failure.
    """

    connected: bool
    response_time_ms: float | None = None
    error: str | None = None
    # HTTP
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: str | None = None  # decoded text, truncated to MAX_BODY_BYTES
    ip: str | None = None
    # TLS (also for HTTPS targets when the certificate could be read)
    certificate_expires_in_s: float | None = None
    certificate_subject: str | None = None
    certificate_error: str | None = None  # chain or hostname verification failure
    # DNS
    dns_rcode: str | None = None
    dns_answers: tuple[str, ...] = ()


MAX_BODY_BYTES = 256 * 1024


class CheckStatus(StrEnum):
    UP = "up"
    DEGRADED = "degraded"  # worked, but slow (or a certificate nearing expiry)
    DOWN = "down"
    INCONCLUSIVE = "inconclusive"  # says nothing about the target (canary unreachable, run deadline)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """The judgement of one check (after retries): its status and every reason it is not UP."""

    status: CheckStatus
    response_time_ms: float | None
    reasons: tuple[str, ...] = ()
    attempts: int = 1
    observation: Observation | None = None

    @property
    def failed(self) -> bool:
        return self.status is CheckStatus.DOWN
