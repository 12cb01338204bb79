"""Judging one observation: UP, DEGRADED or DOWN, with every reason it is not UP.

DOWN reasons come first and win; DEGRADED (slow, or a certificate nearing expiry) is the status only when
nothing failed, but its reasons are still reported alongside a DOWN so nothing is hidden.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from operator import ge, gt, le, lt

from vigil_core.models.monitors import (
    Assertion,
    AssertionSource,
    DnsMonitor,
    HeartbeatMonitor,
    HttpMonitor,
    MonitorDefinition,
    Operator,
    TcpMonitor,
    TlsMonitor,
)
from vigil_core.probes.conditions import Condition, parse_condition
from vigil_core.probes.jsonpath import JsonPathNotFoundError, resolve_json_path
from vigil_core.probes.observations import CheckStatus, Observation

_SHOWN_CHARACTERS = 80
_SECONDS_PER_DAY = 86400


class _Verdict:
    def __init__(self) -> None:
        self.down: list[str] = []
        self.degraded: list[str] = []

    def result(self) -> tuple[CheckStatus, tuple[str, ...]]:
        if self.down:
            return CheckStatus.DOWN, (*self.down, *self.degraded)
        if self.degraded:
            return CheckStatus.DEGRADED, tuple(self.degraded)
        return CheckStatus.UP, ()


def judge(definition: MonitorDefinition, observation: Observation) -> tuple[CheckStatus, tuple[str, ...]]:
    """The status of one check attempt and every reason it is not UP (empty when UP)."""
    if isinstance(definition, HeartbeatMonitor):
        raise ValueError("heartbeat monitors are judged by their beats, not by a check")
    if observation.error is not None or not observation.connected:
        # The other fields are incomplete after a failed attempt, so judging them would only add noise.
        return CheckStatus.DOWN, (observation.error or "could not connect",)
    verdict = _Verdict()
    match definition:
        case HttpMonitor():
            _judge_http(definition, observation, verdict)
        case TcpMonitor():
            _judge_tcp(definition, observation, verdict)
        case DnsMonitor():
            _judge_dns(definition, observation, verdict)
        case TlsMonitor():
            _judge_tls(definition, observation, verdict)
    for text in definition.conditions:
        result = _parsed_condition(text).evaluate(observation)
        if not result.ok:
            verdict.down.append(f"condition failed: {result.explanation}")
    if isinstance(definition, HttpMonitor | TcpMonitor | DnsMonitor):
        _judge_response_time(definition, observation, verdict)
    return verdict.result()


@lru_cache(maxsize=2048)
def _parsed_condition(text: str) -> Condition:
    # Definitions were validated when saved, so parsing cannot fail here; caching spares a warm Lambda the work.
    return parse_condition(text)


def _judge_http(definition: HttpMonitor, observation: Observation, verdict: _Verdict) -> None:
    if observation.status is None:
        verdict.down.append("no HTTP status was received")
    elif not definition.accepts_status(observation.status):
        expected = ", ".join(str(status) for status in definition.expected_status)
        verdict.down.append(f"status {observation.status} not in {expected}")
    body = observation.body or ""
    for text in definition.body_contains:
        if text not in body:
            verdict.down.append(f"body does not contain {text!r}")
    for text in definition.body_not_contains:
        if text in body:
            verdict.down.append(f"body contains {text!r}")
    if definition.body_regex is not None and not re.search(definition.body_regex, body):
        verdict.down.append(f"body does not match /{definition.body_regex}/")
    if definition.body_not_regex is not None and re.search(definition.body_not_regex, body):
        verdict.down.append(f"body matches /{definition.body_not_regex}/")
    for assertion in definition.assertions:
        if (failure := check_assertion(assertion, observation)) is not None:
            verdict.down.append(failure)


def _judge_tcp(definition: TcpMonitor, observation: Observation, verdict: _Verdict) -> None:
    if definition.expect is not None and definition.expect not in (observation.body or ""):
        received = _shown(observation.body) if observation.body else "nothing"
        verdict.down.append(f"expected {definition.expect!r} in the reply, received {received}")


def _judge_dns(definition: DnsMonitor, observation: Observation, verdict: _Verdict) -> None:
    if observation.dns_rcode != definition.expected_rcode:
        verdict.down.append(f"rcode {observation.dns_rcode or 'missing'}, expected {definition.expected_rcode}")
    answers = {_dns_text(answer) for answer in observation.dns_answers}
    missing = [expected for expected in definition.expected_answers if _dns_text(expected) not in answers]
    if missing:
        received = ", ".join(observation.dns_answers) or "no answers"
        verdict.down.append(f"answers lack {', '.join(missing)} (received {received})")


def _dns_text(answer: str) -> str:
    # Names compare case-insensitively and with or without the root dot; TXT records arrive quoted.
    text = answer.strip().lower().rstrip(".")
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        text = text[1:-1]
    return text


def _judge_tls(definition: TlsMonitor, observation: Observation, verdict: _Verdict) -> None:
    if observation.certificate_error is not None:
        verdict.down.append(f"certificate error: {observation.certificate_error}")
    if observation.certificate_expires_in_s is None:
        if observation.certificate_error is None:
            verdict.down.append("no certificate was received")
        return
    days = observation.certificate_expires_in_s / _SECONDS_PER_DAY
    if days < 0:
        verdict.down.append(f"certificate expired {_days(-days)} ago")
    elif days < definition.min_days_remaining:
        minimum = _days(definition.min_days_remaining)
        verdict.down.append(f"certificate expires in {_days(days)}, below the minimum of {minimum}")
    elif days < definition.degraded_days_remaining:
        verdict.degraded.append(
            f"certificate expires in {_days(days)}, below the warning threshold of "
            f"{_days(definition.degraded_days_remaining)}"
        )


def _days(days: float) -> str:
    if days >= 2 or days.is_integer():
        count = int(days)
        return "1 day" if count == 1 else f"{count} days"
    return f"{days * 24:.1f} hours"


def _judge_response_time(
    definition: HttpMonitor | TcpMonitor | DnsMonitor, observation: Observation, verdict: _Verdict
) -> None:
    elapsed = observation.response_time_ms
    if elapsed is None:
        return
    if definition.failed_ms is not None and elapsed > definition.failed_ms:
        verdict.down.append(f"response time {elapsed:.0f} ms above the limit of {definition.failed_ms:g} ms")
    elif definition.degraded_ms is not None and elapsed > definition.degraded_ms:
        verdict.degraded.append(
            f"response time {elapsed:.0f} ms above the degraded threshold of {definition.degraded_ms:g} ms"
        )


_MISSING = object()
_OPERATOR_WORDS = {
    Operator.EQ: "==",
    Operator.NE: "!=",
    Operator.GT: ">",
    Operator.GTE: ">=",
    Operator.LT: "<",
    Operator.LTE: "<=",
    Operator.CONTAINS: "contains",
    Operator.NOT_CONTAINS: "does not contain",
    Operator.MATCHES: "matches",
    Operator.NOT_MATCHES: "does not match",
    Operator.EXISTS: "exists",
    Operator.NOT_EXISTS: "does not exist",
    Operator.EMPTY: "is empty",
    Operator.NOT_EMPTY: "is not empty",
}


def check_assertion(assertion: Assertion, observation: Observation) -> str | None:
    """None when the assertion holds, otherwise why it does not ("assertion failed: json $.status == 'UP' …")."""
    subject, value, absent_because = _assertion_value(assertion, observation)
    expectation = f"{subject} {_OPERATOR_WORDS[assertion.operator]}"
    if assertion.target is not None:
        target = assertion.target
        expectation += " " + (repr(target) if isinstance(target, str) else _target_text(target))
    operator = assertion.operator
    if operator in (Operator.EXISTS, Operator.NOT_EXISTS):
        holds = (value is not _MISSING) == (operator is Operator.EXISTS)
    elif operator in (Operator.EMPTY, Operator.NOT_EMPTY):
        holds = _is_empty(value) == (operator is Operator.EMPTY)
    elif value is _MISSING:
        return f"assertion failed: {expectation} ({absent_because})"
    else:
        holds, problem = _compare(value, operator, assertion.target)
        if problem is not None:
            return f"assertion failed: {expectation} ({problem})"
    if holds:
        return None
    return f"assertion failed: {expectation} (got {_shown_value(value)})"


def _assertion_value(assertion: Assertion, observation: Observation) -> tuple[str, object, str]:
    """(how to name it, its value or _MISSING, why it is missing)."""
    match assertion.source:
        case AssertionSource.STATUS:
            return "status", _or_missing(observation.status), "no status was received"
        case AssertionSource.RESPONSE_TIME:
            return "response_time", _or_missing(observation.response_time_ms), "no response time was measured"
        case AssertionSource.BODY:
            return "body", _or_missing(observation.body), "no body was received"
        case AssertionSource.HEADER:
            name = (assertion.property or "").lower()
            return f"header {name}", _header(observation.headers, name), "header not present"
        case AssertionSource.JSON:
            path = assertion.property or "$"
            value, absent_because = _json_value(observation.body, path)
            return f"json {path}", value, absent_because


def _or_missing(value: object) -> object:
    return _MISSING if value is None else value


def _header(headers: Mapping[str, str], name: str) -> object:
    for header, value in headers.items():
        if header.lower() == name:
            return value
    return _MISSING


def _json_value(body: str | None, path: str) -> tuple[object, str]:
    if body is None:
        return _MISSING, "no body was received"
    is_json, document = _parsed_json(body)
    if not is_json:
        return _MISSING, "body is not JSON"
    try:
        return resolve_json_path(document, path), ""
    except JsonPathNotFoundError as exc:
        return _MISSING, f"path not found: {exc}"
    except ValueError as exc:
        return _MISSING, f"invalid path: {exc}"


@lru_cache(maxsize=4)
def _parsed_json(body: str) -> tuple[bool, object]:
    # Several JSON assertions on one body parse it once; the documents are only read, never changed.
    try:
        return True, json.loads(body)
    except ValueError:
        return False, None


def _is_empty(value: object) -> bool:
    return value is _MISSING or value is None or (isinstance(value, str | list | dict) and len(value) == 0)


def _compare(value: object, operator: Operator, target: object) -> tuple[bool, str | None]:
    """Whether `value operator target` holds, or a problem that keeps it from being decided."""
    if operator in _ORDERINGS:
        number, limit = _number(value), _number(target)
        if number is None or limit is None:
            return False, f"{_shown_value(value)} is not a number"
        return _ORDERINGS[operator](number, limit), None
    if operator in (Operator.EQ, Operator.NE):
        holds = _equal(value, target)
    elif operator in (Operator.CONTAINS, Operator.NOT_CONTAINS):
        # An array contains an element equal to the target; anything else contains it as text.
        if isinstance(value, list):
            holds = any(_equal(item, target) for item in value)
        else:
            holds = _target_text(target) in _value_text(value)
    else:
        holds = re.search(_target_text(target), _value_text(value)) is not None
    positive = operator in (Operator.EQ, Operator.CONTAINS, Operator.MATCHES)
    return holds == positive, None


_ORDERINGS: dict[Operator, Callable[[float, float], bool]] = {
    Operator.GT: gt,
    Operator.GTE: ge,
    Operator.LT: lt,
    Operator.LTE: le,
}


def _equal(value: object, target: object) -> bool:
    number, expected = _number(value), _number(target)
    if number is not None and expected is not None:
        return number == expected
    return _value_text(value) == _target_text(target)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _value_text(value: object) -> str:
    """Text of an observed value: JSON scalars as JSON writes them (true, null), arrays and objects as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _target_text(target: object) -> str:
    if isinstance(target, bool):
        return "true" if target else "false"
    return _value_text(target)


def _shown_value(value: object) -> str:
    # Numbers, booleans and JSON structures read as themselves; only text is quoted.
    return _shown(value) if isinstance(value, str) else _shown(_value_text(value), quoted=False)


def _shown(text: str | None, quoted: bool = True) -> str:
    if text is None:
        return "nothing"
    shortened = len(text) > _SHOWN_CHARACTERS
    if shortened:
        text = text[:_SHOWN_CHARACTERS]
    return (repr(text) if quoted else text) + ("…" if shortened else "")
