"""Gatus-style conditions: what passes, what fails, how the failure reads and which conditions are refused."""

from __future__ import annotations

import json
import re

import pytest

from vigil_core.probes.conditions import Condition, ConditionResult, parse_condition
from vigil_core.probes.observations import Observation

HEALTH_BODY = json.dumps(
    {
        "status": "UP",
        "version": "2.4.1",
        "uptime_s": 86400,
        "ratio": 0.25,
        "ready": True,
        "components": [{"name": "db", "status": "UP"}, {"name": "cache", "status": "DEGRADED"}],
        "meta": {"region": "eu-west-1", "zones": 3},
        "note": None,
    }
)
HTTP_OK = Observation(
    connected=True,
    response_time_ms=123.0,
    status=200,
    headers={"content-type": "application/json"},
    body=HEALTH_BODY,
    ip="203.0.113.10",
    certificate_expires_in_s=30 * 86400,
)


def evaluate(text: str, observation: Observation = HTTP_OK) -> ConditionResult:
    return parse_condition(text).evaluate(observation)


@pytest.mark.parametrize(
    "text",
    [
        "[STATUS] == 200",
        "[STATUS] < 300",
        "[STATUS] <= 299",
        "[STATUS] >= 200",
        "[STATUS] != 500",
        "[STATUS] == any(200, 204)",
        "[RESPONSE_TIME] < 500",
        "[RESPONSE_TIME] < 1s",
        "[CONNECTED] == true",
        "[IP] == pat(203.0.113.*)",
        "[IP] == any(203.0.113.10, 203.0.113.11)",
        "[BODY].status == UP",
        "[BODY].status != DOWN",
        "[BODY].version == pat(2.*)",
        "[BODY].uptime_s > 3600",
        "[BODY].ratio < 0.5",
        "[BODY].ready == true",
        "[BODY].components[0].name == db",
        "[BODY].components[1].status == any(UP, DEGRADED)",
        "[BODY].meta.zones == 3.0",
        '[BODY] == pat(*"status": "UP"*)',
        "len([BODY].components) == 2",
        "len([BODY].meta) == 2",
        "len([BODY].status) == 2",
        "has([BODY].meta.region) == true",
        "has([BODY].errors) == false",
        "has([BODY].note) == false",
        "[CERTIFICATE_EXPIRATION] > 48h",
        "[CERTIFICATE_EXPIRATION] > 7d",
        "[CERTIFICATE_EXPIRATION] > 1h30m",
        "[status] == 200",
    ],
)
def test_given_a_healthy_response_then_matching_conditions_pass(text: str) -> None:
    result = evaluate(text)
    assert result.ok, result.explanation


def test_given_a_503_when_200_is_required_then_the_explanation_shows_the_status_received() -> None:
    # Given a response with status 503
    observation = Observation(connected=True, status=503, response_time_ms=40.0)
    # When [STATUS] == 200 is checked
    result = evaluate("[STATUS] == 200", observation)
    # Then it fails, and says what it saw
    assert not result.ok
    assert result.explanation == "[STATUS] (503) == 200"
    assert result.condition == "[STATUS] == 200"


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        ("[RESPONSE_TIME] < 100", "[RESPONSE_TIME] (123) < 100"),
        ("[BODY].status == DOWN", "[BODY].status (UP) == DOWN"),
        ("[BODY].components[1].status == UP", "[BODY].components[1].status (DEGRADED) == UP"),
        ("len([BODY].components) > 5", "len([BODY].components) (2) > 5"),
        ("has([BODY].meta) == false", "has([BODY].meta) (true) == false"),
        ("[IP] == pat(10.*)", "[IP] (203.0.113.10) == pat(10.*)"),
        ("[STATUS] == any(500, 502)", "[STATUS] (200) == any(500, 502)"),
        ("[CERTIFICATE_EXPIRATION] > 60d", "[CERTIFICATE_EXPIRATION] (30d) > 60d"),
    ],
)
def test_given_a_failing_condition_then_the_explanation_shows_the_resolved_values(text: str, explanation: str) -> None:
    result = evaluate(text)
    assert not result.ok
    assert result.explanation == explanation


@pytest.mark.parametrize("operator", ["==", "!=", "<", ">"])
def test_given_a_json_path_the_body_lacks_then_the_condition_fails_whatever_the_operator(operator: str) -> None:
    # Given a body without `data` — When a condition reads [BODY].data.status — Then it fails and says why
    result = evaluate(f"[BODY].data.status {operator} 1")
    assert not result.ok
    assert result.explanation == f"[BODY].data.status (path not found: $ has no key 'data') {operator} 1"


def test_given_a_body_that_is_not_json_then_json_path_conditions_fail_and_say_so() -> None:
    observation = Observation(connected=True, status=200, body="<html>OK</html>")
    result = evaluate("[BODY].status == UP", observation)
    assert not result.ok
    assert result.explanation == "[BODY].status (body is not JSON) == UP"
    assert evaluate("has([BODY].status) == false", observation).ok
    assert evaluate("[BODY] == pat(*OK*)", observation).ok


def test_given_a_json_array_body_then_paths_may_start_with_an_index_and_len_counts_items() -> None:
    observation = Observation(connected=True, status=200, body='[{"id": 1}, {"id": 2}, {"id": 3}]')
    assert evaluate("[BODY][0].id == 1", observation).ok
    assert evaluate("[BODY][2].id == 3", observation).ok
    assert evaluate("len([BODY]) == 3", observation).ok


def test_given_a_text_body_then_len_counts_its_characters_and_body_is_compared_trimmed() -> None:
    observation = Observation(connected=True, status=200, body="  pong\n")
    assert evaluate("len([BODY]) == 4", observation).ok
    assert evaluate("[BODY] == pong", observation).ok


def test_given_numbers_written_differently_then_they_compare_as_numbers() -> None:
    observation = Observation(connected=True, status=200, body='{"count": 10, "label": "10.0"}')
    assert evaluate("[BODY].count == 10.0", observation).ok
    assert evaluate("[BODY].label == 10", observation).ok
    # Text compares as text: "10" sorts before "9", but 10 > 9 as numbers.
    assert evaluate("[BODY].count > 9", observation).ok


def test_given_text_on_either_side_then_ordering_compares_as_text() -> None:
    observation = Observation(connected=True, status=200, body='{"version": "beta"}')
    assert evaluate("[BODY].version > alpha", observation).ok
    assert not evaluate("[BODY].version < alpha", observation).ok


def test_given_a_pattern_then_star_spans_any_text_and_the_rest_is_literal() -> None:
    observation = Observation(connected=True, status=200, body='{"items":[1,2]}')
    assert evaluate("[BODY] == pat(*[1,2]*)", observation).ok
    assert evaluate("[BODY] != pat(*[3]*)", observation).ok
    assert not evaluate("[BODY] == pat(items*)", observation).ok


def test_given_an_unreachable_target_then_connected_is_false() -> None:
    observation = Observation(connected=False, error="connection refused")
    assert evaluate("[CONNECTED] == false", observation).ok
    result = evaluate("[CONNECTED] == true", observation)
    assert result.explanation == "[CONNECTED] (false) == true"


def test_given_a_dns_answer_then_rcode_conditions_read_it() -> None:
    observation = Observation(connected=True, response_time_ms=12.0, dns_rcode="NXDOMAIN", dns_answers=())
    assert evaluate("[DNS_RCODE] == NXDOMAIN", observation).ok
    assert evaluate("[DNS_RCODE] == any(NOERROR, NXDOMAIN)", observation).ok
    assert evaluate("[DNS_RCODE] == NOERROR", observation).explanation == "[DNS_RCODE] (NXDOMAIN) == NOERROR"


def test_given_a_check_without_the_value_then_the_condition_fails_and_names_what_is_missing() -> None:
    tcp = Observation(connected=True, response_time_ms=3.0)
    result = evaluate("[CERTIFICATE_EXPIRATION] > 48h", tcp)
    assert not result.ok
    assert result.explanation == "[CERTIFICATE_EXPIRATION] (no certificate) > 48h"
    assert evaluate("[STATUS] == 200", tcp).explanation == "[STATUS] (no HTTP status) == 200"


def test_given_an_expired_certificate_then_the_expiry_reads_as_a_negative_duration() -> None:
    observation = Observation(connected=True, certificate_expires_in_s=-2 * 86400 - 3600)
    result = evaluate("[CERTIFICATE_EXPIRATION] > 0", observation)
    assert not result.ok
    assert result.explanation == "[CERTIFICATE_EXPIRATION] (-2d1h) > 0"


def test_given_a_long_body_then_the_explanation_shortens_it() -> None:
    observation = Observation(connected=True, status=200, body="x" * 5000)
    result = evaluate("[BODY] == pat(*needle*)", observation)
    assert not result.ok
    assert result.explanation == "[BODY] (" + "x" * 60 + "…(truncated)) == pat(*needle*)"


def test_a_condition_is_parsed_once_and_evaluated_many_times() -> None:
    condition = parse_condition("  [STATUS] == 200  ")
    assert isinstance(condition, Condition)
    assert condition.text == "[STATUS] == 200"
    assert condition.evaluate(HTTP_OK).ok
    assert not condition.evaluate(Observation(connected=True, status=500)).ok


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the condition is empty"),
        ("[STATUS]", "expected <value> <operator> <value>"),
        ("[STATUS]==200", "put spaces around =="),
        ("[STATUS] ==", "the right side of == is empty"),
        ("[STATS] == 200", "unknown placeholder [STATS]"),
        ("[DOMAIN_EXPIRATION] > 720h", "[DOMAIN_EXPIRATION] is not supported"),
        ("[CONTEXT].token == abc", "[CONTEXT] is not supported"),
        ("[STATUS].code == 200", "[STATUS] takes no path"),
        ("[BODY]status == UP", "after [BODY] a JSON path starts with . or ["),
        ("[BODY].a..b == 1", "invalid JSON path after [BODY]"),
        ("[STATUS] < pat(2*)", "pat() works with == and != only"),
        ("[STATUS] >= any(200, 300)", "any() works with == and != only"),
        ("pat(a*) == pat(b*)", "only one side may use them"),
        ("[STATUS] == any()", "any() needs at least one value"),
        ("len(hello) > 1", "len() takes a placeholder"),
        ("has([BODY].x) == yes", "compare it with true or false"),
        ("[CONNECTED] == 1", "compare it with true or false"),
        ("[CERTIFICATE_EXPIRATION] > soon", "compare [CERTIFICATE_EXPIRATION] with a duration such as 48h or 7d"),
        ("[RESPONSE_TIME] < fast", "[RESPONSE_TIME] is a number; 'fast' is not"),
    ],
)
def test_given_a_malformed_condition_then_parsing_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_condition(text)


def test_given_a_monitor_with_a_bad_condition_then_saving_it_is_refused_with_the_reason() -> None:
    from pydantic import ValidationError

    from vigil_core.models.monitors import MONITOR_DEFINITION

    with pytest.raises(ValidationError) as caught:
        MONITOR_DEFINITION.validate_python(
            {"type": "http", "name": "api", "target": "https://api.example.com", "conditions": ["[STATS] == 200"]}
        )
    assert "condition 0 ('[STATS] == 200'): unknown placeholder [STATS]" in str(caught.value)
