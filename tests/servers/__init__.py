"""Real servers on 127.0.0.1 for tests: each runs in background threads on an ephemeral port, is a context
manager, and can be told at runtime how to behave (slow, failing, silent…)."""

from tests.servers.background import BackgroundServer, refused_port
from tests.servers.certificates import CertificateAuthority, CertificateFiles, self_signed_certificate
from tests.servers.dns_server import ControllableDnsServer, DnsBehaviour
from tests.servers.http_server import ControllableHttpServer, RecordedRequest, Route
from tests.servers.tcp_server import ControllableTcpServer, TcpBehaviour
from tests.servers.tls_server import TlsServer

__all__ = [
    "BackgroundServer",
    "CertificateAuthority",
    "CertificateFiles",
    "ControllableDnsServer",
    "ControllableHttpServer",
    "ControllableTcpServer",
    "DnsBehaviour",
    "RecordedRequest",
    "Route",
    "TcpBehaviour",
    "TlsServer",
    "refused_port",
    "self_signed_certificate",
]
