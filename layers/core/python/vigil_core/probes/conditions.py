"""Gatus-style conditions ("[STATUS] == 200", "[BODY].data[0].id == pat(usr_*)"), parsed once and evaluated
against an Observation.

The semantics follow Gatus (https://gatus.io): a condition is `<value> <operator> <value>` with the operator
between spaces; placeholders are resolved from the observation; == and != compare numerically when both sides
are numbers and as text otherwise; pat() and any() apply to == and !=; < <= > >= also read durations (48h, 7d,
1h30m) as milliseconds, which is the unit of [RESPONSE_TIME] and [CERTIFICATE_EXPIRATION].

Where vigil is stricter than Gatus, it is to catch mistakes when the monitor is saved rather than at 3 a.m.:
an unknown placeholder ([STATS]) is refused instead of being compared as text, and a placeholder that cannot be
resolved (a JSON path the body lacks) fails the condition whatever the operator. Gatus compares the placeholder's
own text then, so `[BODY].error != x` passes there when `error` is absent; write `has([BODY].error) == false`
to test for absence.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypeVar

from vigil_core.probes.jsonpath import JsonPathNotFoundError, parse_json_path, resolve_json_path
from vigil_core.probes.observations import Observation


class ConditionOperator(StrEnum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LTE = "<="
    GT = ">"
    GTE = ">="


ORDERING_OPERATORS = frozenset(
    {ConditionOperator.LT, ConditionOperator.LTE, ConditionOperator.GT, ConditionOperator.GTE}
)


class Placeholder(StrEnum):
    STATUS = "[STATUS]"
    RESPONSE_TIME = "[RESPONSE_TIME]"  # milliseconds
    BODY = "[BODY]"  # the body as text; [BODY].a.b[0] addresses a value inside a JSON body
    CONNECTED = "[CONNECTED]"
    CERTIFICATE_EXPIRATION = "[CERTIFICATE_EXPIRATION]"  # milliseconds until the certificate expires
    IP = "[IP]"
    DNS_RCODE = "[DNS_RCODE]"


_UNSUPPORTED_PLACEHOLDERS = {
    "[DOMAIN_EXPIRATION]": "[DOMAIN_EXPIRATION] is not supported: vigil does not query WHOIS for domain expiry",
    "[CONTEXT]": "[CONTEXT] is not supported: it belongs to Gatus suites, which vigil does not have",
}
_PLACEHOLDER_NAMES = frozenset(placeholder.value for placeholder in Placeholder)
_NUMERIC_PLACEHOLDERS = frozenset({Placeholder.STATUS, Placeholder.RESPONSE_TIME, Placeholder.CERTIFICATE_EXPIRATION})

# The leftmost operator between spaces splits the condition, so a pattern on the right may contain operators.
_OPERATOR = re.compile(r"\s+(==|!=|<=|>=|<|>)\s+")
_BARE_OPERATOR = re.compile(r"==|!=|<=|>=|<|>")
_PLACEHOLDER = re.compile(r"^\[([A-Za-z_]+)\](.*)$", re.DOTALL)
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
# Go's time.ParseDuration units, plus days, which certificate conditions want ("7d").
_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")
_DURATION_UNIT_MS = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "ms": 1, "s": 1e3, "m": 60e3, "h": 3600e3, "d": 86400e3}
_MAX_SHOWN_CHARACTERS = 60


@dataclass(frozen=True, slots=True)
class PlaceholderOperand:
    text: str
    placeholder: Placeholder
    json_path: str | None = None  # only with [BODY]: the path after it, e.g. ".data[0].id"


@dataclass(frozen=True, slots=True)
class FunctionOperand:
    """len(placeholder) or has(placeholder)."""

    text: str
    function: Literal["len", "has"]
    argument: PlaceholderOperand


@dataclass(frozen=True, slots=True)
class PatternOperand:
    """pat(glob): * matches any run of characters, ? one character, the rest is literal."""

    text: str
    pattern: str
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class AnyOperand:
    """any(a, b, c): equal to one of the values."""

    text: str
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LiteralOperand:
    text: str


Operand = PlaceholderOperand | FunctionOperand | PatternOperand | AnyOperand | LiteralOperand


@dataclass(frozen=True, slots=True)
class ConditionResult:
    condition: str
    ok: bool
    explanation: str  # the condition with resolved values in parentheses: "[STATUS] (503) == 200"


@dataclass(frozen=True, slots=True)
class Condition:
    text: str
    left: Operand
    operator: ConditionOperator
    right: Operand

    def evaluate(self, observation: Observation) -> ConditionResult:
        body = _Body(observation.body)
        left = _resolve(self.left, observation, body)
        right = _resolve(self.right, observation, body)
        ok = left.value is not None and right.value is not None and self._compare(left.value, right.value)
        explanation = f"{_describe(self.left, left)} {self.operator} {_describe(self.right, right)}"
        return ConditionResult(condition=self.text, ok=ok, explanation=explanation)

    def _compare(self, left: str, right: str) -> bool:
        if isinstance(self.right, PatternOperand | AnyOperand):
            matched = _matches(self.right, left)
        elif isinstance(self.left, PatternOperand | AnyOperand):
            matched = _matches(self.left, right)
        elif self.operator in ORDERING_OPERATORS:
            return _ordered(left, self.operator, right)
        else:
            matched = _equal(left, right)
        return matched if self.operator is ConditionOperator.EQ else not matched


def parse_condition(text: str) -> Condition:
    """Parses a condition; raises ValueError saying what is wrong with it."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("the condition is empty")
    match = _OPERATOR.search(stripped)
    if match is None:
        raise ValueError(_why_no_operator(stripped))
    operator = ConditionOperator(match.group(1))
    left = _parse_operand(stripped[: match.start()], "left")
    right = _parse_operand(stripped[match.end() :], "right")
    _check_combination(left, operator, right)
    return Condition(text=stripped, left=left, operator=operator, right=right)


def _why_no_operator(text: str) -> str:
    bare = _BARE_OPERATOR.search(text)
    if bare is None:
        return "expected <value> <operator> <value> with one of ==, !=, <, <=, >, >=, e.g. [STATUS] == 200"
    if bare.start() == 0 or bare.end() == len(text):
        side = "left" if bare.start() == 0 else "right"
        return f"the {side} side of {bare.group()} is empty"
    return f"put spaces around {bare.group()}, as in [STATUS] {bare.group()} 200"


def _parse_operand(text: str, side: str) -> Operand:
    text = text.strip()
    if not text:
        raise ValueError(f"the {side} side of the condition is empty")
    if text[:4].lower() in ("len(", "has(", "pat(", "any(") and text.endswith(")"):
        return _parse_function(text, side)
    placeholder = _PLACEHOLDER.match(text)
    if placeholder is None:
        return LiteralOperand(text=text)
    name = f"[{placeholder.group(1).upper()}]"
    if name in _UNSUPPORTED_PLACEHOLDERS:
        raise ValueError(_UNSUPPORTED_PLACEHOLDERS[name])
    if name not in _PLACEHOLDER_NAMES:
        known = ", ".join(Placeholder)
        raise ValueError(f"unknown placeholder {name}; the placeholders are {known}")
    path = placeholder.group(2).strip()
    if not path:
        return PlaceholderOperand(text=text, placeholder=Placeholder(name))
    if name != Placeholder.BODY:
        raise ValueError(f"{name} takes no path ({path!r}); only [BODY] does, e.g. [BODY].data.status")
    if path[0] not in ".[":
        raise ValueError(f"after [BODY] a JSON path starts with . or [, e.g. [BODY].status, not {path!r}")
    try:
        parse_json_path(path)
    except ValueError as exc:
        raise ValueError(f"invalid JSON path after [BODY]: {exc}") from None
    return PlaceholderOperand(text=text, placeholder=Placeholder.BODY, json_path=path)


def _parse_function(text: str, side: str) -> Operand:
    function, inner = text[:3].lower(), text[4:-1].strip()
    if function == "pat":
        return PatternOperand(text=text, pattern=inner, regex=_glob_regex(inner))
    if function == "any":
        options = tuple(option.strip() for option in inner.split(","))
        if not any(options):
            raise ValueError("any() needs at least one value, e.g. any(200, 204)")
        return AnyOperand(text=text, options=options)
    argument = _parse_operand(inner, side)
    if not isinstance(argument, PlaceholderOperand):
        raise ValueError(f"{function}() takes a placeholder such as [BODY].items, not {inner!r}")
    return FunctionOperand(text=text, function="len" if function == "len" else "has", argument=argument)


def _check_combination(left: Operand, operator: ConditionOperator, right: Operand) -> None:
    matchers = [operand for operand in (left, right) if isinstance(operand, PatternOperand | AnyOperand)]
    if len(matchers) == 2:
        raise ValueError("pat() and any() compare against a value; only one side may use them")
    if matchers and operator in ORDERING_OPERATORS:
        raise ValueError(f"{matchers[0].text[:3]}() works with == and != only, not {operator}")
    for operand, other in ((left, right), (right, left)):
        if not isinstance(other, LiteralOperand):
            continue
        value = other.text
        if _is_boolean_valued(operand) and value not in ("true", "false"):
            raise ValueError(f"{operand.text} is true or false; compare it with true or false, not {value!r}")
        if operator not in ORDERING_OPERATORS or not _is_numeric_valued(operand):
            continue
        if isinstance(operand, PlaceholderOperand) and operand.placeholder is Placeholder.CERTIFICATE_EXPIRATION:
            if not (_DURATION.match(value) or _NUMBER.match(value)):
                raise ValueError(f"compare [CERTIFICATE_EXPIRATION] with a duration such as 48h or 7d, not {value!r}")
        elif not (_NUMBER.match(value) or _DURATION.match(value)):
            raise ValueError(f"{operand.text} is a number; {value!r} is not")


def _is_boolean_valued(operand: Operand) -> bool:
    if isinstance(operand, FunctionOperand):
        return operand.function == "has"
    return isinstance(operand, PlaceholderOperand) and operand.placeholder is Placeholder.CONNECTED


def _is_numeric_valued(operand: Operand) -> bool:
    if isinstance(operand, FunctionOperand):
        return operand.function == "len"
    return isinstance(operand, PlaceholderOperand) and operand.placeholder in _NUMERIC_PLACEHOLDERS


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = [".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern]
    return re.compile("".join(parts), re.DOTALL)


@dataclass(frozen=True, slots=True)
class _Resolved:
    value: str | None  # None: could not be resolved, and `note` says why
    note: str | None = None
    is_duration_ms: bool = False  # shown as a duration rather than a number of milliseconds


_MISSING_FROM_OBSERVATION = {
    Placeholder.STATUS: "no HTTP status",
    Placeholder.RESPONSE_TIME: "no response time",
    Placeholder.BODY: "no body",
    Placeholder.CERTIFICATE_EXPIRATION: "no certificate",
    Placeholder.IP: "no IP address",
    Placeholder.DNS_RCODE: "no DNS response code",
}


class _Body:
    """The observation's body, parsed as JSON at most once per evaluation."""

    _NOT_PARSED = object()

    def __init__(self, text: str | None) -> None:
        self.text = text
        self._document: object = self._NOT_PARSED
        self._is_json = False

    def document(self) -> tuple[bool, object]:
        """(True, the parsed document) or (False, None) when the body is absent or not JSON."""
        if self._document is self._NOT_PARSED:
            self._document = None
            if self.text is not None:
                try:
                    self._document = json.loads(self.text)
                    self._is_json = True
                except ValueError:
                    pass
        return self._is_json, self._document


def _resolve(operand: Operand, observation: Observation, body: _Body) -> _Resolved:
    if isinstance(operand, LiteralOperand):
        return _Resolved(operand.text)
    if isinstance(operand, PatternOperand | AnyOperand):
        return _Resolved("")  # compared as a matcher, never as a value
    if isinstance(operand, FunctionOperand):
        if operand.function == "has":
            return _Resolved(_json_text(_has(operand.argument, observation, body)))
        return _length(operand.argument, observation, body)
    if operand.json_path is not None:
        return _resolve_json(operand.json_path, body)
    return _resolve_plain(operand.placeholder, observation)


def _resolve_plain(placeholder: Placeholder, observation: Observation) -> _Resolved:
    value: object
    match placeholder:
        case Placeholder.STATUS:
            value = observation.status
        case Placeholder.RESPONSE_TIME:
            value = observation.response_time_ms
        case Placeholder.BODY:
            value = observation.body.strip() if observation.body is not None else None
        case Placeholder.CONNECTED:
            value = observation.connected
        case Placeholder.CERTIFICATE_EXPIRATION:
            seconds = observation.certificate_expires_in_s
            if seconds is not None:
                return _Resolved(_number_text(seconds * 1000), is_duration_ms=True)
            value = None
        case Placeholder.IP:
            value = observation.ip
        case Placeholder.DNS_RCODE:
            value = observation.dns_rcode
    if value is None:
        return _Resolved(None, _MISSING_FROM_OBSERVATION[placeholder])
    return _Resolved(_json_text(value))


def _resolve_json(path: str, body: _Body) -> _Resolved:
    found, value, note = _lookup_json(path, body)
    return _Resolved(_json_text(value)) if found else _Resolved(None, note)


def _lookup_json(path: str, body: _Body) -> tuple[bool, object, str | None]:
    """(True, value, None) when the body is JSON and has a value at `path`, else (False, None, why not)."""
    if body.text is None:
        return False, None, "no body"
    is_json, document = body.document()
    if not is_json:
        return False, None, "body is not JSON"
    try:
        return True, resolve_json_path(document, path), None
    except JsonPathNotFoundError as exc:
        return False, None, f"path not found: {exc}"


def _has(argument: PlaceholderOperand, observation: Observation, body: _Body) -> bool:
    if argument.json_path is None:
        resolved = _resolve_plain(argument.placeholder, observation)
        return resolved.value is not None and resolved.value != ""
    found, value, _ = _lookup_json(argument.json_path, body)
    # As in Gatus, a JSON null counts as absent.
    return found and value is not None


def _length(argument: PlaceholderOperand, observation: Observation, body: _Body) -> _Resolved:
    if argument.placeholder is Placeholder.BODY and argument.json_path is None and body.text is not None:
        # As in Gatus: a JSON array body counts its items, any other body its characters.
        is_json, document = body.document()
        return _Resolved(str(len(document if is_json and isinstance(document, list) else body.text.strip())))
    if argument.json_path is None:
        resolved = _resolve_plain(argument.placeholder, observation)
        return resolved if resolved.value is None else _Resolved(str(len(resolved.value)))
    found, value, note = _lookup_json(argument.json_path, body)
    if not found or value is None:
        return _Resolved(None, note or "the value is null")
    return _Resolved(str(len(value if isinstance(value, list | dict | str) else _json_text(value))))


def _json_text(value: object) -> str:
    """How a value reads in a condition: JSON scalars as Gatus prints them, arrays and objects as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return _number_text(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _number_text(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer():
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1e15 else repr(value)


def _as_number(text: str) -> float | None:
    return float(text) if _NUMBER.match(text) else None


def _as_ordering_number(text: str) -> float | None:
    """A number, or a duration in milliseconds, as Gatus reads the sides of < <= > >=."""
    number = _as_number(text)
    if number is not None:
        return number
    if _DURATION.match(text):
        return sum(float(amount) * _DURATION_UNIT_MS[unit] for amount, unit in _DURATION_PART.findall(text))
    return None


def _equal(left: str, right: str) -> bool:
    left_number, right_number = _as_number(left), _as_number(right)
    if left_number is not None and right_number is not None:
        return left_number == right_number
    return left == right


def _ordered(left: str, operator: ConditionOperator, right: str) -> bool:
    left_number, right_number = _as_ordering_number(left), _as_ordering_number(right)
    if left_number is not None and right_number is not None:
        return _apply(operator, left_number, right_number)
    return _apply(operator, left, right)


_Comparable = TypeVar("_Comparable", float, str)


def _apply(operator: ConditionOperator, left: _Comparable, right: _Comparable) -> bool:
    match operator:
        case ConditionOperator.LT:
            return left < right
        case ConditionOperator.LTE:
            return left <= right
        case ConditionOperator.GT:
            return left > right
        case _:
            return left >= right


def _matches(matcher: PatternOperand | AnyOperand, value: str) -> bool:
    if isinstance(matcher, PatternOperand):
        return matcher.regex.fullmatch(value) is not None
    return any(_equal(value, option) for option in matcher.options)


def _describe(operand: Operand, resolved: _Resolved) -> str:
    if isinstance(operand, LiteralOperand | PatternOperand | AnyOperand):
        return operand.text
    if resolved.value is None:
        return f"{operand.text} ({resolved.note})"
    shown = resolved.value
    if resolved.is_duration_ms:
        shown = format_duration_ms(float(shown))
    elif len(shown) > _MAX_SHOWN_CHARACTERS:
        shown = shown[:_MAX_SHOWN_CHARACTERS] + "…(truncated)"
    return f"{operand.text} ({shown})"


def format_duration_ms(milliseconds: float) -> str:
    """A compact duration such as 13d4h20m or 250ms, for explanations; negative once a certificate has expired."""
    sign = "-" if milliseconds < 0 else ""
    remaining = abs(milliseconds)
    if remaining < 1000:
        return f"{sign}{_number_text(round(remaining))}ms"
    seconds = int(remaining // 1000)
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return sign + "".join(parts)
