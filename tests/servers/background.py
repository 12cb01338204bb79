"""What the test servers share: start/stop as a context manager, serving threads, and a port that refuses."""

from __future__ import annotations

import socket
import socketserver
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

LOCALHOST = "127.0.0.1"
# socketserver's default backlog of 5 makes a burst of concurrent clients wait seconds for SYN retransmits.
LISTEN_BACKLOG = 128


class BackgroundServer(ABC):
    """A server living in daemon threads; subclasses open their sockets in start() and close them in stop()."""

    def __init__(self) -> None:
        # Set on stop: anything a handler waits on (a delay, a hang) waits on this, so stopping is immediate.
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    @abstractmethod
    def port(self) -> int: ...

    @abstractmethod
    def start(self) -> Self: ...

    def stop(self) -> None:
        self.stopping.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _run_in_thread(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=f"{type(self).__name__}-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()


class QuietThreadingTCPServer(socketserver.ThreadingTCPServer):
    """Handler threads are daemons and not joined on close; a client hanging up mid-response is no error."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def serve_forever(server: socketserver.BaseServer) -> None:
    server.serve_forever(poll_interval=0.05)


class StreamServer(BackgroundServer):
    """A TCP server on 127.0.0.1 (ephemeral port) that hands each connection to `_handle` in its own thread."""

    def __init__(self) -> None:
        super().__init__()
        self._server: QuietThreadingTCPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not started"
        return int(self._server.server_address[1])

    @abstractmethod
    def _handle(self, connection: socket.socket) -> None: ...

    def start(self) -> Self:
        owner = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                owner._handle(self.request)

        server = self._server = QuietThreadingTCPServer((LOCALHOST, 0), Handler)
        self._run_in_thread(lambda: serve_forever(server), "serve")
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        super().stop()


@contextmanager
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 where connections are refused: bound (so nobody else takes it) but not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCALHOST, 0))
        yield sock.getsockname()[1]
