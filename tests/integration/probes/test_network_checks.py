"""The network checks against real servers on 127.0.0.1: what each check type observes when the target works,
fails, or does not answer in time. Verdicts are not tested here: the adapters only report what they saw."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.servers import (
    CertificateAuthority,
    ControllableDnsServer,
    ControllableHttpServer,
    ControllableTcpServer,
    DnsBehaviour,
    TcpBehaviour,
    TlsServer,
    refused_port,
    self_signed_certificate,
)
from vigil_core.adapters.checks import NetworkChecks
from vigil_core.adapters.checks.http import observe_http
from vigil_core.models.monitors import (
    DnsMonitor,
    DnsRecordType,
    HeartbeatMonitor,
    HttpMonitor,
    MonitorDefinition,
    TcpMonitor,
    TlsMonitor,
)
from vigil_core.probes.observations import MAX_BODY_BYTES, Observation

pytestmark = pytest.mark.integration

# Generous where the check should succeed (a loaded machine must not fail it), short where it must time out.
GENEROUS_TIMEOUT_S = 5.0
SHORT_TIMEOUT_S = 0.5
# A timed-out check returns soon after its timeout; far less than the server's delay.
SERVER_DELAY_S = 10.0
RETURNS_WITHIN_S = 4.0
DAY_S = 86400

CHECKS = NetworkChecks()


def observe(definition: MonitorDefinition) -> Observation:
    return asyncio.run(CHECKS.observe(definition))


def timed_observe(definition: MonitorDefinition) -> tuple[Observation, float]:
    started = time.perf_counter()
    observation = observe(definition)
    return observation, time.perf_counter() - started


# --- certificates and servers ---------------------------------------------------------------------------------


class Certificates:
    def __init__(self, directory: Path) -> None:
        now = datetime.now(UTC)
        self.authority = CertificateAuthority()
        self.valid = self.authority.issue(directory, name="valid", not_valid_after=now + timedelta(days=90))
        self.expiring = self.authority.issue(directory, name="expiring", not_valid_after=now + timedelta(days=3))
        self.expired = self.authority.issue(directory, name="expired", not_valid_after=now - timedelta(days=2))
        self.self_signed = self_signed_certificate(directory, not_valid_after=now + timedelta(days=30))


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("certificates"))


@pytest.fixture
def http_server() -> Iterator[ControllableHttpServer]:
    with ControllableHttpServer() as server:
        yield server


@pytest.fixture
def https_server(certificates: Certificates) -> Iterator[ControllableHttpServer]:
    with ControllableHttpServer(certificate=certificates.expiring) as server:
        yield server


@pytest.fixture
def tcp_server() -> Iterator[ControllableTcpServer]:
    with ControllableTcpServer({"PING": "+PONG\r\n"}) as server:
        yield server


@pytest.fixture
def dns_server() -> Iterator[ControllableDnsServer]:
    records = {
        ("example.test", "A"): ["93.184.216.34", "93.184.216.35"],
        ("example.test", "AAAA"): ["2606:2800:220:1:248:1893:25c8:1946"],
        ("example.test", "MX"): ["10 mail.example.test.", "20 backup.example.test."],
        ("example.test", "TXT"): ['"v=spf1 include:_spf.example.test ~all"', '"part one " "part two"'],
        ("example.test", "NS"): ["ns1.example.test."],
        ("www.example.test", "CNAME"): ["example.test."],
        ("mail.example.test", "A"): ["192.0.2.25"],
    }
    with ControllableDnsServer(records) as server:
        yield server


def http_monitor(url: str, **fields: object) -> HttpMonitor:
    return HttpMonitor.model_validate({"name": "web", "target": url, "timeout": GENEROUS_TIMEOUT_S, **fields})


def tcp_monitor(target: str, **fields: object) -> TcpMonitor:
    return TcpMonitor.model_validate({"name": "redis", "target": target, "timeout": GENEROUS_TIMEOUT_S, **fields})


def dns_monitor(server: ControllableDnsServer, name: str, record_type: str = "A", **fields: object) -> DnsMonitor:
    return DnsMonitor.model_validate(
        {
            "name": "dns",
            "target": name,
            "record_type": record_type,
            "resolver": server.resolver,
            "timeout": GENEROUS_TIMEOUT_S,
            **fields,
        }
    )


def tls_monitor(target: str, **fields: object) -> TlsMonitor:
    return TlsMonitor.model_validate({"name": "cert", "target": target, "timeout": GENEROUS_TIMEOUT_S, **fields})


# --- HTTP ------------------------------------------------------------------------------------------------------


def test_http_200_reports_status_headers_body_ip_and_time(http_server: ControllableHttpServer) -> None:
    # Given a healthy endpoint
    http_server.route("/health", status=200, body='{"ok": true}', headers={"Content-Type": "application/json"})

    # When it is checked
    observation = observe(http_monitor(http_server.url("/health")))

    # Then everything the response said is observed, with lower-cased header names
    assert observation.error is None
    assert observation.connected
    assert observation.status == 200
    assert observation.body == '{"ok": true}'
    assert observation.headers["content-type"] == "application/json"
    assert observation.ip == "127.0.0.1"
    assert observation.response_time_ms is not None and 0 < observation.response_time_ms < 1000 * GENEROUS_TIMEOUT_S
    assert observation.certificate_expires_in_s is None


def test_http_sends_the_monitors_method_headers_and_body(http_server: ControllableHttpServer) -> None:
    # Given an endpoint that takes POSTs
    http_server.route("/orders", status=201)

    # When a POST check with headers and a body runs
    observation = observe(
        http_monitor(
            http_server.url("/orders"), method="POST", headers={"X-Api-Key": "k-123"}, body='{"dry_run": true}'
        )
    )

    # Then the server got exactly that request
    assert observation.status == 201
    [request] = http_server.requests
    assert request.method == "POST"
    assert request.headers["x-api-key"] == "k-123"
    assert request.headers["user-agent"].startswith("vigil")
    assert request.body == b'{"dry_run": true}'


def test_http_503_is_observed_not_judged(http_server: ControllableHttpServer) -> None:
    # Given an endpoint that fails
    http_server.route("/health", status=503, body="maintenance")

    # When it is checked
    observation = observe(http_monitor(http_server.url("/health")))

    # Then the status is reported as is; whether 503 is DOWN is decided elsewhere
    assert observation.error is None
    assert observation.status == 503
    assert observation.body == "maintenance"


def test_http_head_has_an_empty_body(http_server: ControllableHttpServer) -> None:
    # Given an endpoint with a body
    http_server.route("/", body="hello")

    # When it is checked with HEAD
    observation = observe(http_monitor(http_server.url("/"), method="HEAD"))

    # Then only the status and headers come back
    assert observation.status == 200
    assert observation.headers["content-length"] == "5"
    assert observation.body == ""


def test_http_slow_response_times_out_with_a_clear_message(http_server: ControllableHttpServer) -> None:
    # Given an endpoint much slower than the monitor's timeout
    http_server.route("/slow", delay_s=SERVER_DELAY_S)

    # When it is checked
    observation, took_s = timed_observe(http_monitor(http_server.url("/slow"), timeout=SHORT_TIMEOUT_S))

    # Then the check gives up at its timeout, having connected but got no response
    assert observation.error == "timed out after 0.5s waiting for the response"
    assert observation.connected
    assert observation.status is None
    assert took_s < RETURNS_WITHIN_S


def test_http_body_is_streamed_and_cut_at_the_limit(http_server: ControllableHttpServer) -> None:
    # Given an endpoint returning 1 GiB
    http_server.route("/huge", body=b"x" * 65536, body_repeat=16384)

    # When it is checked
    observation, took_s = timed_observe(http_monitor(http_server.url("/huge")))

    # Then only the first MAX_BODY_BYTES are read, and quickly
    assert observation.error is None
    assert observation.body == "x" * MAX_BODY_BYTES
    assert took_s < RETURNS_WITHIN_S


def test_http_body_is_decoded_with_the_response_charset(http_server: ControllableHttpServer) -> None:
    # Given a Latin-1 body with a byte that is not valid in it as UTF-8 either
    http_server.route("/", body="café".encode("latin-1"), headers={"Content-Type": "text/plain; charset=iso-8859-1"})
    http_server.route("/broken", body=b"ok \xff\xfe", headers={"Content-Type": "text/plain; charset=utf-8"})

    # When both are checked
    latin = observe(http_monitor(http_server.url("/")))
    broken = observe(http_monitor(http_server.url("/broken")))

    # Then the text is decoded with the declared charset, and bad bytes are replaced rather than failing the check
    assert latin.body == "café"
    assert broken.error is None
    assert broken.body == "ok \ufffd\ufffd"


def test_http_follows_a_redirect_chain(http_server: ControllableHttpServer) -> None:
    # Given three redirects before the real page
    http_server.route("/final", body="arrived")
    hops = http_server.redirect_chain("/start", 3, target="/final")

    # When it is checked with redirects followed (at most 5)
    observation = observe(http_monitor(http_server.url("/start"), max_redirects=5))

    # Then the final page is observed, each hop requested once
    assert observation.error is None
    assert observation.status == 200
    assert observation.body == "arrived"
    assert [http_server.request_count(path) for path in [*hops, "/final"]] == [1, 1, 1, 1]


def test_http_redirect_is_reported_when_not_followed(http_server: ControllableHttpServer) -> None:
    # Given a redirect
    http_server.redirect_chain("/old", 1, target="/new", status=301)

    # When the monitor does not follow redirects
    observation = observe(http_monitor(http_server.url("/old"), follow_redirects=False))

    # Then the redirect itself is observed
    assert observation.status == 301
    assert observation.headers["location"] == "/new"
    assert http_server.request_count("/new") == 0


def test_http_too_many_redirects(http_server: ControllableHttpServer) -> None:
    # Given a chain of six redirects
    http_server.redirect_chain("/loop", 6, target="/final")

    # When the monitor allows two
    observation = observe(http_monitor(http_server.url("/loop"), max_redirects=2))

    # Then the check fails with the reason, after the allowed hops
    assert observation.error == "too many redirects (more than 2)"
    assert observation.connected
    assert http_server.request_count() == 3


def test_http_connection_refused() -> None:
    # Given a port nothing listens on
    with refused_port() as port:
        # When it is checked
        observation = observe(http_monitor(f"http://127.0.0.1:{port}/"))

    # Then the check says so plainly
    assert observation.error == "connection refused"
    assert not observation.connected
    assert observation.status is None


def test_https_reads_the_certificate_when_not_verifying(https_server: ControllableHttpServer) -> None:
    # Given an HTTPS endpoint whose certificate (from a private CA) expires in 3 days
    https_server.route("/", body="secure")

    # When it is checked without verification
    observation = observe(http_monitor(https_server.url("/"), verify_tls=False))

    # Then the response and the certificate's expiry and subject are observed
    assert observation.error is None
    assert observation.body == "secure"
    assert observation.certificate_subject == "CN=localhost"
    assert observation.certificate_expires_in_s is not None
    assert observation.certificate_expires_in_s == pytest.approx(3 * DAY_S, abs=120)
    assert observation.ip == "127.0.0.1"


def test_https_unknown_ca_fails_verification(https_server: ControllableHttpServer) -> None:
    # Given an HTTPS endpoint whose CA the checker does not trust
    https_server.route("/", body="secure")

    # When it is checked with verification (the default)
    observation = observe(http_monitor(https_server.url("/")))

    # Then the TLS failure is the error, with OpenSSL's reason, and no request was served
    assert observation.error == "TLS: certificate verify failed: unable to get local issuer certificate"
    assert observation.certificate_error == "unable to get local issuer certificate"
    assert observation.status is None
    assert https_server.request_count() == 0


def test_https_verifies_with_a_context_that_trusts_the_ca(
    https_server: ControllableHttpServer, certificates: Certificates
) -> None:
    # Given an HTTPS endpoint and a verifying context that trusts its CA
    https_server.route("/", body="secure")
    context = certificates.expiring.client_context()

    # When the HTTP adapter checks it with that context
    observation = asyncio.run(observe_http(http_monitor(https_server.url("/")), context))

    # Then it verifies, and the certificate is read as well
    assert observation.error is None
    assert observation.status == 200
    assert observation.certificate_expires_in_s == pytest.approx(3 * DAY_S, abs=120)


# --- TCP -------------------------------------------------------------------------------------------------------


def test_tcp_ping_pong(tcp_server: ControllableTcpServer) -> None:
    # Given a Redis-like server answering PING
    # When a check sends PING and expects +PONG
    observation = observe(tcp_monitor(tcp_server.target, send="PING\r\n", expect="+PONG"))

    # Then the reply is observed
    assert observation.error is None
    assert observation.connected
    assert observation.body == "+PONG\r\n"
    assert observation.ip == "127.0.0.1"
    assert observation.response_time_ms is not None and observation.response_time_ms > 0


def test_tcp_connect_only(tcp_server: ControllableTcpServer) -> None:
    # Given a listening server
    # When a check only connects
    observation = observe(tcp_monitor(tcp_server.target))

    # Then the connection is observed and nothing is read
    assert observation.error is None
    assert observation.connected
    assert observation.body is None
    assert observation.response_time_ms is not None


def test_tcp_banner_is_read_without_sending(tcp_server: ControllableTcpServer) -> None:
    # Given an SMTP-like server that greets first
    tcp_server.greeting = "220 mail.example.test ESMTP\r\n"

    # When a check expects the greeting without sending anything
    observation = observe(tcp_monitor(tcp_server.target, expect="220"))

    # Then the greeting is observed
    assert observation.error is None
    assert observation.body == "220 mail.example.test ESMTP\r\n"


def test_tcp_connection_refused() -> None:
    # Given a port nothing listens on
    with refused_port() as port:
        # When it is checked
        observation = observe(tcp_monitor(f"127.0.0.1:{port}", send="PING\r\n", expect="+PONG"))

    # Then the check says so
    assert observation.error == "connection refused"
    assert not observation.connected


def test_tcp_unexpected_reply_is_observed_for_judging(tcp_server: ControllableTcpServer) -> None:
    # Given a server that answers PING with an error, then closes
    tcp_server.replies = {"PING": "-ERR unknown command\r\n"}
    tcp_server.behaviour = TcpBehaviour.REPLY_THEN_CLOSE

    # When a check expects +PONG
    observation = observe(tcp_monitor(tcp_server.target, send="PING\r\n", expect="+PONG"))

    # Then what came back is the observation; deciding it is a mismatch is the judge's job
    assert observation.error is None
    assert observation.body == "-ERR unknown command\r\n"


def test_tcp_server_closing_at_once_gives_an_empty_read(tcp_server: ControllableTcpServer) -> None:
    # Given a server that drops every connection as it accepts it
    tcp_server.behaviour = TcpBehaviour.CLOSE

    # When a check waits for a banner
    observation = observe(tcp_monitor(tcp_server.target, expect="220"))

    # Then it connected and read nothing
    assert observation.connected
    assert observation.body is None


def test_tcp_unanswered_expectation_times_out(tcp_server: ControllableTcpServer) -> None:
    # Given a server that accepts and then says nothing
    tcp_server.behaviour = TcpBehaviour.HANG

    # When a check sends PING and expects +PONG within 0.5 s
    observation, took_s = timed_observe(
        tcp_monitor(tcp_server.target, send="PING\r\n", expect="+PONG", timeout=SHORT_TIMEOUT_S)
    )

    # Then it reports the timeout and what it was waiting for
    assert observation.error == "timed out after 0.5s waiting for '+PONG'"
    assert observation.connected
    assert took_s < RETURNS_WITHIN_S


# --- DNS -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "record_type", "answers"),
    [
        ("example.test", DnsRecordType.A, ("93.184.216.34", "93.184.216.35")),
        ("example.test", DnsRecordType.AAAA, ("2606:2800:220:1:248:1893:25c8:1946",)),
        ("example.test", DnsRecordType.MX, ("10 mail.example.test.", "20 backup.example.test.")),
        (
            "example.test",
            DnsRecordType.TXT,
            ("v=spf1 include:_spf.example.test ~all", "part one part two"),
        ),
        ("example.test", DnsRecordType.NS, ("ns1.example.test.",)),
        ("www.example.test", DnsRecordType.CNAME, ("example.test.",)),
        ("www.example.test.", DnsRecordType.A, ("93.184.216.34", "93.184.216.35")),
    ],
)
def test_dns_answers_by_record_type(
    dns_server: ControllableDnsServer, name: str, record_type: DnsRecordType, answers: tuple[str, ...]
) -> None:
    # Given a resolver holding the zone
    # When a record is queried
    observation = observe(dns_monitor(dns_server, name, record_type.value))

    # Then the answers are the records' text (TXT without quotes, strings joined; only the asked type)
    assert observation.error is None
    assert observation.connected
    assert observation.dns_rcode == "NOERROR"
    assert sorted(observation.dns_answers) == sorted(answers)
    assert observation.response_time_ms is not None


def test_dns_name_without_that_record_type_has_no_answers(dns_server: ControllableDnsServer) -> None:
    # Given a name that has an A record, but no AAAA
    # When its AAAA is queried
    observation = observe(dns_monitor(dns_server, "mail.example.test", "AAAA"))

    # Then the answer is empty, without error
    assert observation.dns_rcode == "NOERROR"
    assert observation.dns_answers == ()


def test_dns_unknown_name_is_nxdomain(dns_server: ControllableDnsServer) -> None:
    # Given a name the zone does not hold
    # When it is queried
    observation = observe(dns_monitor(dns_server, "missing.example.test"))

    # Then the response code says so; NXDOMAIN is an answer, not an error
    assert observation.error is None
    assert observation.dns_rcode == "NXDOMAIN"
    assert observation.dns_answers == ()


def test_dns_servfail(dns_server: ControllableDnsServer) -> None:
    # Given a resolver that fails every query
    dns_server.behaviour = DnsBehaviour.SERVFAIL

    # When a name is queried
    observation = observe(dns_monitor(dns_server, "example.test"))

    # Then SERVFAIL is observed
    assert observation.error is None
    assert observation.dns_rcode == "SERVFAIL"


def test_dns_truncated_answer_is_retried_over_tcp(dns_server: ControllableDnsServer) -> None:
    # Given a resolver whose UDP answers are all truncated
    dns_server.truncate_udp = True

    # When a name is queried
    observation = observe(dns_monitor(dns_server, "example.test"))

    # Then the full answer came over TCP
    assert observation.error is None
    assert sorted(observation.dns_answers) == ["93.184.216.34", "93.184.216.35"]
    assert [transport for transport, _, _ in dns_server.queries] == ["udp", "tcp"]


def test_dns_silent_resolver_times_out(dns_server: ControllableDnsServer) -> None:
    # Given a resolver that never answers
    dns_server.behaviour = DnsBehaviour.SILENT

    # When a name is queried with a 0.5 s timeout
    observation, took_s = timed_observe(dns_monitor(dns_server, "example.test", timeout=SHORT_TIMEOUT_S))

    # Then the check times out, naming the resolver
    assert observation.error == f"timed out after 0.5s waiting for {dns_server.resolver} (UDP)"
    assert not observation.connected
    assert observation.dns_rcode is None
    assert took_s < RETURNS_WITHIN_S


# --- TLS -------------------------------------------------------------------------------------------------------


def test_tls_valid_certificate_from_a_trusted_private_ca(certificates: Certificates) -> None:
    # Given a server whose certificate is issued by a private CA, valid for 90 more days
    with TlsServer(certificates.valid) as server:
        # When it is checked trusting that CA, by IP with the host name as SNI
        observation = observe(tls_monitor(server.target, server_name="localhost", ca_pem=certificates.authority.pem))

        # Then it verifies, and the certificate's remaining life and subject are observed
        assert server.server_names == ["localhost"]
    assert observation.error is None
    assert observation.certificate_error is None
    assert observation.connected
    assert observation.certificate_subject == "CN=localhost"
    assert observation.certificate_expires_in_s == pytest.approx(90 * DAY_S, abs=120)
    assert observation.response_time_ms is not None and observation.response_time_ms > 0


def test_tls_near_expiry_is_reported_in_seconds(certificates: Certificates) -> None:
    # Given a certificate that expires in 3 days
    with TlsServer(certificates.expiring) as server:
        # When it is checked
        observation = observe(tls_monitor(server.target, ca_pem=certificates.authority.pem))

    # Then the remaining time is observed (judging it against min_days_remaining happens elsewhere)
    assert observation.certificate_error is None
    assert observation.certificate_expires_in_s is not None
    assert observation.certificate_expires_in_s / DAY_S == pytest.approx(3, abs=0.01)


def test_tls_expired_certificate(certificates: Certificates) -> None:
    # Given a certificate that expired two days ago
    with TlsServer(certificates.expired) as server:
        # When it is checked
        observation = observe(tls_monitor(server.target, ca_pem=certificates.authority.pem))

    # Then verification fails with the reason, and the certificate is still read (by a second handshake)
    assert observation.error is None
    assert observation.certificate_error == "certificate has expired"
    assert observation.certificate_expires_in_s is not None
    assert observation.certificate_expires_in_s == pytest.approx(-2 * DAY_S, abs=120)


def test_tls_self_signed_without_ca_pem(certificates: Certificates) -> None:
    # Given a self-signed certificate
    with TlsServer(certificates.self_signed) as server:
        # When it is checked without trusting it
        observation = observe(tls_monitor(server.target))

    # Then verification fails as self-signed, and the certificate is read
    assert observation.certificate_error is not None
    assert re.fullmatch(r"self[- ]signed certificate", observation.certificate_error)
    assert observation.certificate_expires_in_s == pytest.approx(30 * DAY_S, abs=120)


def test_tls_self_signed_trusted_through_ca_pem(certificates: Certificates) -> None:
    # Given a self-signed certificate
    with TlsServer(certificates.self_signed) as server:
        # When it is checked trusting that very certificate
        observation = observe(tls_monitor(server.target, ca_pem=certificates.self_signed.ca_pem))

    # Then it verifies
    assert observation.error is None
    assert observation.certificate_error is None


def test_tls_hostname_mismatch(certificates: Certificates) -> None:
    # Given a certificate for localhost and 127.0.0.1
    with TlsServer(certificates.valid) as server:
        # When it is checked as another name
        observation = observe(
            tls_monitor(server.target, server_name="shop.example.test", ca_pem=certificates.authority.pem)
        )

    # Then the mismatch is the certificate error
    assert observation.certificate_error == "Hostname mismatch, certificate is not valid for 'shop.example.test'"
    assert observation.certificate_subject == "CN=localhost"


def test_tls_connection_refused() -> None:
    # Given a port nothing listens on
    with refused_port() as port:
        # When it is checked
        observation = observe(tls_monitor(f"127.0.0.1:{port}"))

    # Then it did not connect
    assert observation.error == "connection refused"
    assert not observation.connected


def test_tls_handshake_that_never_completes_times_out(tcp_server: ControllableTcpServer) -> None:
    # Given a server that accepts connections but never speaks TLS
    tcp_server.behaviour = TcpBehaviour.HANG

    # When it is checked with a 0.5 s timeout
    observation, took_s = timed_observe(tls_monitor(tcp_server.target, timeout=SHORT_TIMEOUT_S))

    # Then the timeout names the handshake
    assert observation.error == "timed out after 0.5s during the TLS handshake"
    assert observation.connected
    assert took_s < RETURNS_WITHIN_S


def test_tls_against_a_plain_text_server(tcp_server: ControllableTcpServer) -> None:
    # Given a server that greets in plain text
    tcp_server.greeting = "220 mail.example.test ESMTP\r\n" * 10

    # When it is checked as TLS
    observation = observe(tls_monitor(tcp_server.target))

    # Then the handshake failure is reported with OpenSSL's reason
    assert observation.error is not None
    assert observation.error.startswith("TLS handshake failed: ")
    assert observation.connected


def test_tls_unusable_ca_pem() -> None:
    # Given a monitor whose ca_pem is not a certificate
    definition = tls_monitor("127.0.0.1:443", ca_pem="not a certificate")

    # When it is checked
    observation = observe(definition)

    # Then it fails before any connection
    assert observation.error is not None
    assert observation.error.startswith("ca_pem holds no usable certificate")
    assert not observation.connected


# --- dispatch --------------------------------------------------------------------------------------------------


def test_heartbeats_are_not_network_checks() -> None:
    # Given a heartbeat monitor
    definition = HeartbeatMonitor(name="nightly job")

    # When it is given to the network checks, Then it is refused
    with pytest.raises(ValueError, match="heartbeats are not network checks"):
        observe(definition)


def test_ssl_contexts_are_built_once_and_shared() -> None:
    # Given fresh checks
    checks = NetworkChecks()

    # When contexts are asked for twice
    # Then the same ones come back (loading the CA list is the expensive part)
    assert checks.verifying_context() is checks.verifying_context()
    assert checks.non_verifying_context() is checks.non_verifying_context()
    assert checks.verifying_context(None) is checks.verifying_context()
