"""A TCP server that answers requests it recognises, greets, closes at once or hangs, as the test says."""

from __future__ import annotations

import socket
import threading
from enum import StrEnum

from tests.servers.background import LOCALHOST, StreamServer

_POLL_S = 0.05  # how often a waiting connection looks whether the server is stopping


class TcpBehaviour(StrEnum):
    REPLY = "reply"  # greet if set, then answer each recognised request; stay open until the client leaves
    REPLY_THEN_CLOSE = "reply_then_close"  # like REPLY, but close after the first answer
    CLOSE = "close"  # close as soon as the connection is accepted
    HANG = "hang"  # accept, then neither read nor write until the server stops


class ControllableTcpServer(StreamServer):
    """`replies` maps a request (found anywhere in what was received) to its answer, e.g. {"PING": "+PONG\\r\\n"}."""

    def __init__(self, replies: dict[str, str] | None = None, *, greeting: str | None = None) -> None:
        super().__init__()
        self.behaviour = TcpBehaviour.REPLY
        self.replies: dict[str, str] = dict(replies or {})
        self.greeting = greeting
        self._connections = 0
        self._lock = threading.Lock()

    @property
    def target(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    @property
    def connection_count(self) -> int:
        """Connections handled so far; a client may be done before its connection is counted."""
        with self._lock:
            return self._connections

    def _handle(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections += 1
        behaviour = self.behaviour
        if behaviour is TcpBehaviour.CLOSE:
            return
        if behaviour is TcpBehaviour.HANG:
            self.stopping.wait()
            return
        if self.greeting:
            connection.sendall(self.greeting.encode())
        connection.settimeout(_POLL_S)
        received = ""
        while not self.stopping.is_set():
            try:
                chunk = connection.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                return
            received += chunk.decode(errors="replace")
            for request, answer in self.replies.items():
                if request in received:
                    connection.sendall(answer.encode())
                    received = received.split(request, 1)[1]
                    if behaviour is TcpBehaviour.REPLY_THEN_CLOSE:
                        return
