"""Errors the API turns into HTTP responses: each carries its status, a stable code and the details."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with the input: where (index of the point, field) and what."""

    field: str
    problem: str
    index: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "problem": self.problem}
        if self.index is not None:
            out["index"] = self.index
        return out


@dataclass
class VigilError(Exception):
    """Base of every error that reaches a client. The message is safe to show to the caller."""

    message: str
    status: int = 500
    code: str = "internal_error"
    problems: list[FieldProblem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.problems:
            out["errors"] = [p.as_dict() for p in self.problems]
        out.update(self.extra)
        return out


def validation_error(problems: list[FieldProblem], message: str | None = None) -> VigilError:
    first = problems[0]
    where = f"points[{first.index}].{first.field}" if first.index is not None else first.field
    summary = message or f"{len(problems)} invalid field(s); first: {where}: {first.problem}"
    return VigilError(summary, 400, "validation_error", problems)


def bad_request(field_name: str, problem: str) -> VigilError:
    return validation_error([FieldProblem(field_name, problem)], f"{field_name}: {problem}")


def unauthorized(message: str) -> VigilError:
    return VigilError(message, 401, "unauthorized")


def not_found(message: str) -> VigilError:
    return VigilError(message, 404, "not_found")


def conflict(message: str) -> VigilError:
    return VigilError(message, 409, "conflict")


def payload_too_large(limit_bytes: int, size: int) -> VigilError:
    return VigilError(
        f"request body is {size} bytes; the limit is {limit_bytes} bytes",
        413,
        "payload_too_large",
        [FieldProblem("body", f"larger than {limit_bytes} bytes")],
    )


def unsupported_media_type(content_type: str | None) -> VigilError:
    shown = content_type or "none"
    return VigilError(
        f"content-type must be application/json (got {shown})",
        415,
        "unsupported_media_type",
        [FieldProblem("content-type", f"must be application/json, got {shown}")],
    )


def unprocessable(message: str, field_name: str) -> VigilError:
    return VigilError(message, 422, "unprocessable", [FieldProblem(field_name, message)])


def unavailable(message: str, **extra: Any) -> VigilError:
    return VigilError(message, 503, "unavailable", extra=extra)


def forbidden(message: str) -> VigilError:
    return VigilError(message, 403, "forbidden")
