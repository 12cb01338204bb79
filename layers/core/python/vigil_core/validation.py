"""Turns pydantic's errors into field problems a client can act on: which point, which field, what."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from vigil_core.errors import FieldProblem, VigilError, bad_request, validation_error
from vigil_core.models.metrics import METRIC_NAME_PATTERN

MAX_REPORTED_PROBLEMS = 100

_FRIENDLY_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "is required",
    "finite_number": "must be a finite number (NaN and Infinity are not allowed)",
    "timezone_aware": "must carry a time zone (e.g. 2026-01-01T12:00:00Z) or be epoch seconds",
}


def problems_from(exc: ValidationError, list_field: str = "points", drop_leading: int = 0) -> list[FieldProblem]:
    """`drop_leading` removes location parts that are not fields (e.g. a tagged union's tag)."""
    errors = _without_echoes(exc.errors())
    problems = [_problem(err, list_field, drop_leading) for err in errors[:MAX_REPORTED_PROBLEMS]]
    return problems or [FieldProblem("body", "is invalid")]


def _without_echoes(errors: list[ErrorDetails]) -> list[ErrorDetails]:
    """Drop "should have at least N items" on a list whose items were refused: pydantic counts only the
    items that passed, so that error only echoes the items' own."""

    def refused_inside(loc: tuple[int | str, ...]) -> bool:
        return any(len(other["loc"]) > len(loc) and other["loc"][: len(loc)] == loc for other in errors)

    return [err for err in errors if not (err["type"] == "too_short" and refused_inside(err["loc"]))]


def to_vigil_error(exc: ValidationError, list_field: str = "points") -> VigilError:
    if any(err["type"] == "json_invalid" for err in exc.errors()):
        detail = exc.errors()[0].get("ctx", {}).get("error", "not valid JSON")
        return validation_error([FieldProblem("body", f"malformed JSON: {detail}")])
    return validation_error(problems_from(exc, list_field))


def _problem(err: ErrorDetails, list_field: str, drop_leading: int = 0) -> FieldProblem:
    loc: Sequence[Any] = err["loc"][drop_leading:]
    index: int | None = None
    if len(loc) >= 2 and loc[0] == list_field and isinstance(loc[1], int):
        index = loc[1]
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or ("body" if index is None else "point")
    return FieldProblem(field=field, problem=_message(err, field), index=index)


def _message(err: ErrorDetails, field: str) -> str:
    kind = err["type"]
    if kind in _FRIENDLY_MESSAGES:
        return _FRIENDLY_MESSAGES[kind]
    if kind == "string_pattern_mismatch" and field == "name":
        return f"must match {METRIC_NAME_PATTERN.strip('^$')}"
    message = err["msg"]
    return message.removeprefix("Value error, ")


ModelT = TypeVar("ModelT", bound=BaseModel)


def parse_body(model: type[ModelT], body: Any) -> ModelT:
    """A request body as `model`, or a 400 naming each bad field."""
    if not isinstance(body, Mapping):
        raise bad_request("body", "must be a JSON object")
    try:
        return model.model_validate(dict(body))
    except ValidationError as exc:
        raise validation_error(problems_from(exc, list_field="")) from None
