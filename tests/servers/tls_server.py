"""A bare TLS server: completes the handshake with the certificate it is given, then waits for the client to leave."""

from __future__ import annotations

import socket
import ssl
import threading

from tests.servers.background import LOCALHOST, StreamServer
from tests.servers.certificates import CertificateFiles

_CONNECTION_TIMEOUT_S = 10.0


class TlsServer(StreamServer):
    """Records the server names (SNI) clients asked for.

    A name is recorded while the server reads the ClientHello, so before any client can finish its handshake.
    """

    def __init__(self, certificate: CertificateFiles) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._context = self._server_context(certificate)
        self._server_names: list[str | None] = []

    @property
    def target(self) -> str:
        return f"{LOCALHOST}:{self.port}"

    @property
    def server_names(self) -> list[str | None]:
        with self._lock:
            return list(self._server_names)

    def use_certificate(self, certificate: CertificateFiles) -> None:
        """Present another certificate from the next connection on."""
        context = self._server_context(certificate)
        with self._lock:
            self._context = context

    def _server_context(self, certificate: CertificateFiles) -> ssl.SSLContext:
        context = certificate.server_context()
        context.sni_callback = self._record_server_name
        return context

    def _record_server_name(self, _: ssl.SSLObject, server_name: str | None, __: ssl.SSLContext) -> None:
        with self._lock:
            self._server_names.append(server_name)

    def _handle(self, connection: socket.socket) -> None:
        connection.settimeout(_CONNECTION_TIMEOUT_S)
        with self._lock:
            context = self._context
        with context.wrap_socket(connection, server_side=True) as tls_connection:
            # Nothing to serve: wait until the client hangs up (or the timeout), so it closes first.
            while tls_connection.recv(4096):
                pass
