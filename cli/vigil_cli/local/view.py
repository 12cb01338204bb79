"""The live terminal view of ``vigil local up``: one line per API request and per triggered invocation."""

from __future__ import annotations

import sys
import threading
from typing import Any, TextIO

from vigil_cli.local.records import ApiRequestRecord, InvocationRecord


def response_summary(body: Any) -> str:
    """'accepted 1000 points / 12 series' from a response's ``accepted`` and ``series`` fields."""
    if not isinstance(body, dict) or "accepted" not in body:
        return ""
    summary = f"accepted {body['accepted']} points"
    if "series" in body:
        summary += f" / {body['series']} series"
    return summary


def format_request(record: ApiRequestRecord) -> str:
    parts = [
        f"{record.time:%H:%M:%S}",
        f"{record.method:<6}",
        f"{record.path:<32}",
        f"{record.status:>3}",
        f"{record.duration_ms:>8.1f} ms",
        f"{record.function or '-':<10}",
    ]
    summary = response_summary(record.response_json)
    if summary:
        parts.append(summary)
    elif record.status >= 400 and isinstance(record.response_json, dict) and "message" in record.response_json:
        parts.append(str(record.response_json["message"]))
    return "  ".join(parts).rstrip()


def format_invocation(record: InvocationRecord) -> str:
    outcome = "ok" if record.ok else "FAILED"
    parts = [
        f"{record.time:%H:%M:%S}",
        f"{record.source:<6}",
        f"{record.trigger:<32}",
        f"{outcome:>3}",
        f"{record.duration_ms:>8.1f} ms",
        f"{record.function:<10}",
    ]
    if record.detail:
        parts.append(record.detail)
    return "  ".join(parts).rstrip()


class TerminalView:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(text + "\n")
            stream.flush()

    def request(self, record: ApiRequestRecord) -> None:
        self.line(format_request(record))

    def invocation(self, record: InvocationRecord) -> None:
        self.line(format_invocation(record))
