"""What the local runtime reports to the live terminal view: one record per request or invocation."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ApiRequestRecord:
    time: datetime
    method: str
    path: str
    status: int
    duration_ms: float
    function: str | None
    response_bytes: int
    response_json: Any = None  # the parsed body when it is JSON and under 4 KB


@dataclass(frozen=True)
class InvocationRecord:
    time: datetime
    source: str  # "schedule" or "sqs"
    trigger: str  # rule or queue name
    function: str
    ok: bool
    duration_ms: float
    detail: str = ""


InvocationHook = Callable[[InvocationRecord], None]


def report_invocation(hook: InvocationHook | None, record: InvocationRecord) -> None:
    """Hand a record to the view; a failing view must never stop the triggers."""
    if hook is None:
        return
    try:
        hook(record)
    except Exception as exc:
        print(f"vigil local: invocation hook failed: {exc!r}", file=sys.stderr)
