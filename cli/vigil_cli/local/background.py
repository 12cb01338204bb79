"""A periodic job on a daemon thread: what the scheduler and the TTL sweeper share."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable


class PeriodicThread:
    """Runs `work` every `interval_s` seconds until stopped. A failing run is reported on stderr and the
    next run still happens: one backend hiccup must not silently end schedules or TTL sweeps."""

    def __init__(self, name: str, interval_s: float, work: Callable[[], object]) -> None:
        self.name = name
        self.interval_s = interval_s
        self._work = work
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self._work()
            except Exception as exc:  # keep running: the next tick may succeed
                print(f"vigil local: {self.name} failed: {exc!r}", file=sys.stderr)
