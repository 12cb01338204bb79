"""Recording stand-ins for what the notifier sends through (secrets, HTTP, email, SMS, its own queue)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vigil_core.ports import ChannelSendError, DeliveryOutcome, SecretUnavailableError


@dataclass
class FakeSecrets:
    values: Mapping[str, str]

    def read(self, reference: str) -> str:
        if reference not in self.values:
            raise SecretUnavailableError(f"{reference}: ResourceNotFoundException")
        return self.values[reference]


@dataclass
class RecordingHttp:
    answers: list[DeliveryOutcome] = field(default_factory=list)  # consumed one per post; delivered when empty
    posts: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> DeliveryOutcome:
        self.posts.append((url, body, dict(headers)))
        return self.answers.pop(0) if self.answers else DeliveryOutcome(True, 1, 202, None, "ok")

    def urls(self) -> list[str]:
        return [url for url, _, _ in self.posts]

    def json_bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, _ in self.posts]


@dataclass
class RecordingEmail:
    sent: list[tuple[str, tuple[str, ...], str, str, str]] = field(default_factory=list)

    def send(self, sender: str, recipients: Any, subject: str, text: str, html: str) -> str:
        self.sent.append((sender, tuple(recipients), subject, text, html))
        return f"email-{len(self.sent)}"


@dataclass
class RecordingSms:
    failing: dict[str, ChannelSendError] = field(default_factory=dict)
    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone_number: str, text: str) -> str:
        if phone_number in self.failing:
            raise self.failing.pop(phone_number)
        self.sent.append((phone_number, text))
        return f"sms-{len(self.sent)}"


@dataclass
class RecordingDeferral:
    deferred: list[tuple[str, int]] = field(default_factory=list)

    def defer(self, body: str, delay_s: int) -> None:
        self.deferred.append((body, delay_s))
