"""What every API function shares: request parsing, JSON responses, error mapping, dependency slots."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any, Generic, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BaseModel

from vigil_core.errors import VigilError
from vigil_core.models.http import ApiRequest

DepsT = TypeVar("DepsT")


def utc_now() -> datetime:
    return datetime.now(UTC)


def json_response(
    status: int, body: BaseModel | dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    text = body.model_dump_json(exclude_none=True) if isinstance(body, BaseModel) else json.dumps(body)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=text, headers=headers)


def register_error_handlers(app: APIGatewayRestResolver, logger: Logger, metrics: Metrics) -> None:
    """Every failure leaves as JSON: a 4xx names the field and the problem, a 5xx hides the internals."""

    @app.exception_handler(VigilError)  # type: ignore[untyped-decorator]  # Powertools' decorator is untyped
    def _vigil_error(error: VigilError) -> Response[str]:
        if error.status >= 500:
            logger.error("request failed", extra={"error": error.code, "detail": error.message})
            metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
        else:
            logger.info("request refused", extra={"status": error.status, "error": error.code})
            metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)
        return json_response(error.status, error.body())

    @app.not_found
    def _no_route(_: Exception) -> Response[str]:
        metrics.add_metric(name="ClientErrors", unit=MetricUnit.Count, value=1)
        return json_response(404, {"error": "not_found", "message": "no such route"})

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unexpected error")
        metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
        return json_response(500, {"error": "internal_error", "message": "internal error; it has been logged"})


def request_from(event: APIGatewayProxyEvent) -> ApiRequest:
    headers = {name.lower(): value for name, value in (event.headers or {}).items()}
    body = event.body
    raw = base64.b64decode(body) if body is not None and event.is_base64_encoded else (body or "").encode()
    return ApiRequest(headers=headers, query=dict(event.query_string_parameters or {}), body=raw)


class DependencySlot(Generic[DepsT]):
    """Dependencies (and the settings they read) built once per container on first use; tests and
    benchmarks may put others in their place."""

    def __init__(self, factory: Callable[[], DepsT]) -> None:
        self._factory = cache(factory)
        self._override: DepsT | None = None

    def get(self) -> DepsT:
        return self._override if self._override is not None else self._factory()

    def use(self, dependencies: DepsT | None) -> None:
        self._override = dependencies

    def reset(self) -> None:
        self._override = None
        self._factory.cache_clear()
