"""Judging one observation: UP, DEGRADED or DOWN, and every reason it is not UP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vigil_core.models.monitors import MONITOR_DEFINITION, Assertion, AssertionSource, MonitorDefinition, Operator
from vigil_core.probes.judging import check_assertion, judge
from vigil_core.probes.observations import CheckStatus, Observation

UP, DEGRADED, DOWN = CheckStatus.UP, CheckStatus.DEGRADED, CheckStatus.DOWN


def monitor(**fields: Any) -> MonitorDefinition:
    defaults: dict[str, Any] = {"type": "http", "name": "api", "target": "https://api.example.com/health"}
    return MONITOR_DEFINITION.validate_python(defaults | fields)


def http(status: int = 200, body: object = "", response_time_ms: float = 80.0, **fields: Any) -> Observation:
    text = body if isinstance(body, str) else json.dumps(body)
    return Observation(connected=True, status=status, body=text, response_time_ms=response_time_ms, **fields)


# -- every type


def test_given_a_failed_attempt_then_it_is_down_with_the_error_as_the_only_reason() -> None:
    # Given the connection was refused — When judged — Then DOWN, and the error is the reason
    failed = Observation(connected=False, error="connection refused", response_time_ms=3.0)
    assert judge(monitor(degraded_ms=1), failed) == (DOWN, ("connection refused",))


def test_given_no_connection_and_no_error_then_it_is_down_because_it_could_not_connect() -> None:
    assert judge(monitor(type="tcp", target="db.internal:5432"), Observation(connected=False)) == (
        DOWN,
        ("could not connect",),
    )


def test_given_a_heartbeat_monitor_then_judging_a_check_is_refused() -> None:
    with pytest.raises(ValueError, match="heartbeat"):
        judge(monitor(type="heartbeat", name="nightly", target=None), Observation(connected=True))


# -- http


def test_given_a_healthy_response_then_it_is_up_with_no_reasons() -> None:
    assert judge(monitor(), http(200, {"status": "UP"})) == (UP, ())


def test_given_a_status_outside_the_expected_ones_then_it_is_down_and_names_them() -> None:
    assert judge(monitor(), http(503)) == (DOWN, ("status 503 not in 2xx",))
    assert judge(monitor(expected_status=[200, "3xx"]), http(204)) == (DOWN, ("status 204 not in 200, 3xx",))
    assert judge(monitor(expected_status=[404]), http(404))[0] is UP


def test_given_body_rules_then_each_broken_one_is_a_reason() -> None:
    definition = monitor(
        body_contains=["healthy", "v2"],
        body_not_contains=["error"],
        body_regex=r"uptime=\d+",
        body_not_regex=r"(?i)maintenance",
    )
    status, reasons = judge(definition, http(200, "healthy; error: disk at 91%; Maintenance soon"))
    assert status is DOWN
    assert reasons == (
        "body does not contain 'v2'",
        "body contains 'error'",
        r"body does not match /uptime=\d+/",
        "body matches /(?i)maintenance/",
    )
    assert judge(definition, http(200, "healthy v2 uptime=42")) == (UP, ())


def test_given_a_response_slower_than_the_degraded_limit_then_it_is_degraded() -> None:
    definition = monitor(degraded_ms=300, failed_ms=1000)
    assert judge(definition, http(response_time_ms=299)) == (UP, ())
    assert judge(definition, http(response_time_ms=450)) == (
        DEGRADED,
        ("response time 450 ms above the degraded threshold of 300 ms",),
    )
    assert judge(definition, http(response_time_ms=1500)) == (
        DOWN,
        ("response time 1500 ms above the limit of 1000 ms",),
    )


def test_given_a_failure_and_a_slow_response_then_down_wins_and_both_reasons_are_kept() -> None:
    status, reasons = judge(monitor(degraded_ms=300), http(500, response_time_ms=450))
    assert status is DOWN
    assert reasons == ("status 500 not in 2xx", "response time 450 ms above the degraded threshold of 300 ms")


def test_given_gatus_conditions_on_an_http_monitor_then_a_failing_one_is_a_reason_with_resolved_values() -> None:
    definition = monitor(conditions=["[BODY].status == UP", "[RESPONSE_TIME] < 500", "len([BODY].items) > 0"])
    assert judge(definition, http(200, {"status": "UP", "items": [1]})) == (UP, ())
    status, reasons = judge(definition, http(200, {"status": "DOWN", "items": []}))
    assert status is DOWN
    assert reasons == (
        "condition failed: [BODY].status (DOWN) == UP",
        "condition failed: len([BODY].items) (0) > 0",
    )


# -- assertions


JSON_BODY = {"status": "UP", "count": 12, "ready": True, "tags": ["eu", "prod"], "version": "2.4.1", "none": None}


@pytest.mark.parametrize(
    "assertion",
    [
        {"source": "status", "operator": "eq", "target": 200},
        {"source": "status", "operator": "lt", "target": 300},
        {"source": "response_time", "operator": "lte", "target": 80},
        {"source": "body", "operator": "contains", "target": '"status": "UP"'},
        {"source": "body", "operator": "matches", "target": r'"count": \d+'},
        {"source": "json", "property": "$.status", "operator": "eq", "target": "UP"},
        {"source": "json", "property": "status", "operator": "ne", "target": "DOWN"},
        {"source": "json", "property": "$.count", "operator": "gt", "target": 10},
        {"source": "json", "property": "$.count", "operator": "eq", "target": "12.0"},
        {"source": "json", "property": "$.ready", "operator": "eq", "target": True},
        {"source": "json", "property": "$.ready", "operator": "eq", "target": "true"},
        {"source": "json", "property": "$.tags", "operator": "contains", "target": "prod"},
        {"source": "json", "property": "$.tags[0]", "operator": "eq", "target": "eu"},
        {"source": "json", "property": "$.version", "operator": "matches", "target": r"^2\."},
        {"source": "json", "property": "$.version", "operator": "not_contains", "target": "beta"},
        {"source": "json", "property": "$.status", "operator": "exists"},
        {"source": "json", "property": "$.none", "operator": "exists"},
        {"source": "json", "property": "$.missing", "operator": "not_exists"},
        {"source": "json", "property": "$.none", "operator": "empty"},
        {"source": "json", "property": "$.tags", "operator": "not_empty"},
        {"source": "header", "property": "Content-Type", "operator": "contains", "target": "json"},
        {"source": "header", "property": "x-request-id", "operator": "not_exists"},
        {"source": "header", "property": "CACHE-CONTROL", "operator": "eq", "target": "no-store"},
    ],
)
def test_given_a_response_then_assertions_that_describe_it_hold(assertion: dict[str, Any]) -> None:
    observation = http(200, JSON_BODY, headers={"content-type": "application/json", "cache-control": "no-store"})
    assert judge(monitor(assertions=[assertion]), observation) == (UP, ())


@pytest.mark.parametrize(
    ("assertion", "reason"),
    [
        ({"source": "status", "operator": "eq", "target": 201}, "assertion failed: status == 201 (got 200)"),
        (
            {"source": "response_time", "operator": "lt", "target": 50},
            "assertion failed: response_time < 50 (got 80)",
        ),
        (
            {"source": "json", "property": "$.status", "operator": "eq", "target": "DOWN"},
            "assertion failed: json $.status == 'DOWN' (got 'UP')",
        ),
        (
            {"source": "json", "property": "$.count", "operator": "lte", "target": 10},
            "assertion failed: json $.count <= 10 (got 12)",
        ),
        (
            {"source": "json", "property": "$.version", "operator": "gt", "target": 2},
            "assertion failed: json $.version > 2 ('2.4.1' is not a number)",
        ),
        (
            {"source": "json", "property": "$.data.id", "operator": "eq", "target": "x"},
            "assertion failed: json $.data.id == 'x' (path not found: $ has no key 'data')",
        ),
        (
            {"source": "json", "property": "$.status", "operator": "not_exists"},
            "assertion failed: json $.status does not exist (got 'UP')",
        ),
        (
            {"source": "json", "property": "$.tags", "operator": "not_contains", "target": "eu"},
            'assertion failed: json $.tags does not contain \'eu\' (got ["eu","prod"])',
        ),
        (
            {"source": "header", "property": "X-Cache", "operator": "eq", "target": "HIT"},
            "assertion failed: header x-cache == 'HIT' (header not present)",
        ),
    ],
)
def test_given_a_response_then_a_broken_assertion_says_what_was_expected_and_got(
    assertion: dict[str, Any], reason: str
) -> None:
    status, reasons = judge(monitor(assertions=[assertion]), http(200, JSON_BODY))
    assert status is DOWN
    assert reasons == (reason,)


def test_given_a_long_body_then_a_broken_assertion_shows_only_its_beginning() -> None:
    body = "UP " * 100
    definition = monitor(assertions=[{"source": "body", "operator": "not_matches", "target": "UP"}])
    assert judge(definition, http(200, body)) == (
        DOWN,
        (f"assertion failed: body does not match 'UP' (got '{body[:80]}'…)",),
    )


def test_given_a_body_that_is_not_json_then_json_assertions_fail_and_say_so() -> None:
    assertion = Assertion(source=AssertionSource.JSON, property="$.status", operator=Operator.EQ, target="UP")
    assert check_assertion(assertion, http(200, "<html>UP</html>")) == (
        "assertion failed: json $.status == 'UP' (body is not JSON)"
    )


# -- tcp


def tcp(**fields: Any) -> MonitorDefinition:
    return monitor(type="tcp", name="redis", target="redis.internal:6379", **fields)


def test_given_a_tcp_reply_then_it_must_contain_what_is_expected() -> None:
    definition = tcp(send="PING\r\n", expect="+PONG")
    assert judge(definition, Observation(connected=True, response_time_ms=2.0, body="+PONG\r\n")) == (UP, ())
    assert judge(definition, Observation(connected=True, response_time_ms=2.0, body="-NOAUTH\r\n")) == (
        DOWN,
        ("expected '+PONG' in the reply, received '-NOAUTH\\r\\n'",),
    )
    assert judge(definition, Observation(connected=True, response_time_ms=2.0)) == (
        DOWN,
        ("expected '+PONG' in the reply, received nothing",),
    )


def test_given_a_slow_tcp_connect_then_response_time_limits_apply() -> None:
    assert judge(tcp(degraded_ms=50), Observation(connected=True, response_time_ms=75.0))[0] is DEGRADED


def test_given_conditions_on_a_tcp_monitor_then_they_are_checked_too() -> None:
    definition = tcp(conditions=["[RESPONSE_TIME] < 10"])
    assert judge(definition, Observation(connected=True, response_time_ms=20.0)) == (
        DOWN,
        ("condition failed: [RESPONSE_TIME] (20) < 10",),
    )


# -- dns


def dns(**fields: Any) -> MonitorDefinition:
    return monitor(type="dns", name="mx", target="example.com", **fields)


def answer(rcode: str = "NOERROR", *answers: str) -> Observation:
    return Observation(connected=True, response_time_ms=9.0, dns_rcode=rcode, dns_answers=answers)


def test_given_a_dns_answer_then_the_rcode_must_be_the_expected_one() -> None:
    assert judge(dns(), answer("NOERROR", "93.184.216.34")) == (UP, ())
    assert judge(dns(), answer("SERVFAIL")) == (DOWN, ("rcode SERVFAIL, expected NOERROR",))
    assert judge(dns(expected_rcode="NXDOMAIN"), answer("NXDOMAIN")) == (UP, ())


def test_given_expected_answers_then_each_must_be_present_ignoring_case_and_the_root_dot() -> None:
    definition = dns(record_type="MX", expected_answers=["10 MAIL.example.com", "20 backup.example.com."])
    assert judge(definition, answer("NOERROR", "20 backup.example.com.", "10 mail.example.com.")) == (UP, ())
    assert judge(definition, answer("NOERROR", "10 mail.example.com.")) == (
        DOWN,
        ("answers lack 20 backup.example.com. (received 10 mail.example.com.)",),
    )


def test_given_a_quoted_txt_answer_then_it_matches_the_unquoted_expectation() -> None:
    definition = dns(record_type="TXT", expected_answers=["v=spf1 -all"])
    assert judge(definition, answer("NOERROR", '"v=spf1 -all"')) == (UP, ())


def test_given_conditions_on_a_dns_monitor_then_they_are_checked_too() -> None:
    definition = dns(conditions=["[DNS_RCODE] == NOERROR", "[RESPONSE_TIME] < 5"])
    assert judge(definition, answer("NOERROR")) == (DOWN, ("condition failed: [RESPONSE_TIME] (9) < 5",))


# -- tls


def tls(**fields: Any) -> MonitorDefinition:
    return monitor(type="tls", name="cert", target="example.com:443", **fields)


def certificate(days: float, error: str | None = None) -> Observation:
    return Observation(
        connected=True, response_time_ms=30.0, certificate_expires_in_s=days * 86400, certificate_error=error
    )


def test_given_a_certificate_then_days_remaining_decide_up_degraded_or_down() -> None:
    definition = tls(min_days_remaining=7, degraded_days_remaining=21)
    assert judge(definition, certificate(60)) == (UP, ())
    assert judge(definition, certificate(10)) == (
        DEGRADED,
        ("certificate expires in 10 days, below the warning threshold of 21 days",),
    )
    assert judge(definition, certificate(3)) == (DOWN, ("certificate expires in 3 days, below the minimum of 7 days",))
    assert judge(definition, certificate(0.5)) == (
        DOWN,
        ("certificate expires in 12.0 hours, below the minimum of 7 days",),
    )
    assert judge(definition, certificate(-1)) == (DOWN, ("certificate expired 1 day ago",))


def test_given_a_certificate_that_fails_verification_then_it_is_down_whatever_its_expiry() -> None:
    assert judge(tls(), certificate(90, error="hostname mismatch")) == (
        DOWN,
        ("certificate error: hostname mismatch",),
    )


def test_given_a_tls_connection_without_a_certificate_then_it_is_down() -> None:
    assert judge(tls(), Observation(connected=True, response_time_ms=5.0)) == (
        DOWN,
        ("no certificate was received",),
    )


def test_given_conditions_on_a_tls_monitor_then_they_are_checked_too() -> None:
    definition = tls(min_days_remaining=0, degraded_days_remaining=0, conditions=["[CERTIFICATE_EXPIRATION] > 30d"])
    assert judge(definition, certificate(10)) == (
        DOWN,
        ("condition failed: [CERTIFICATE_EXPIRATION] (10d) > 30d",),
    )
