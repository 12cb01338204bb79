"""Routes handler output to per-function log files so the terminal view stays readable.

``sys.stdout`` is replaced (once) by a proxy. A thread that is running a handler has a sink set (a
thread-local shared by every proxy instance, since Powertools' log handlers keep a reference to the
stream they saw at import), and its writes - Powertools JSON logs, EMF metrics, prints - go there.
Every other write goes to the stream the proxy wrapped.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_current = threading.local()


class ThreadRoutedStdout(io.TextIOBase):
    def __init__(self, terminal: TextIO) -> None:
        super().__init__()
        self.terminal = terminal

    def _target(self) -> TextIO:
        sink: TextIO | None = getattr(_current, "sink", None)
        if sink is not None:
            return sink
        # A stale router (kept by a logging handler after sys.stdout moved on, as pytest does) writes
        # wherever stdout is now, never into a stream that may have been closed since.
        current = sys.stdout
        return current.terminal if isinstance(current, ThreadRoutedStdout) else current

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._target().isatty()

    def fileno(self) -> int:
        return self.terminal.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.terminal, "encoding", None) or "utf-8"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.terminal, name)


def install_stdout_router() -> None:
    """Wrap the current ``sys.stdout`` unless it already is a router (idempotent; pytest swaps it)."""
    if not isinstance(sys.stdout, ThreadRoutedStdout):
        sys.stdout = ThreadRoutedStdout(sys.stdout)


@contextmanager
def routed_to(sink: TextIO) -> Iterator[None]:
    """While active, this thread's writes to ``sys.stdout`` go to ``sink``."""
    previous = getattr(_current, "sink", None)
    _current.sink = sink
    try:
        yield
    finally:
        _current.sink = previous
