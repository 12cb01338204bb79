"""The vigil HTTP API as the commands use it: the key on every request, timeouts, and failures turned into
one clear CLI error (exit 1) that says what the API said, which field was wrong, and what to try."""

from __future__ import annotations

import importlib.metadata
import json
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from vigil_cli import CliError
from vigil_cli.config import Connection

DEFAULT_TIMEOUT_S = 30.0
MAX_SHOWN_BODY = 300  # characters of a non-JSON answer worth showing


def _user_agent() -> str:
    try:
        version = importlib.metadata.version("vigil")
    except importlib.metadata.PackageNotFoundError:
        version = "dev"
    return f"vigil-cli/{version}"


class ApiError(CliError):
    """The API answered with a 4xx or 5xx: its status, error code, message and the fields it named."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        problems: tuple[tuple[str, str], ...] = (),
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems
        self.hint = hint
        super().__init__(self._describe())

    def _describe(self) -> str:
        lines = [f"{self.message} (HTTP {self.status})"]
        # One problem is usually the message itself ("target: must be ..."); list them only when they add to it.
        lines += [
            f"  {field}: {problem}" for field, problem in self.problems if f"{field}: {problem}" not in self.message
        ]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


def error_from_response(response: httpx.Response, connection: Connection) -> ApiError:
    """The API's error body ({"error": code, "message": ..., "errors": [{"field", "problem"}]}, or API
    Gateway's {"message": ...}) as an ApiError; a body that is not JSON is shown as text."""
    status = response.status_code
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    code: str | None = None
    message: str | None = None
    problems: list[tuple[str, str]] = []
    if isinstance(body, dict):
        error = body.get("error")
        details = error if isinstance(error, dict) else body  # some APIs nest {"error": {"message": ...}}
        if isinstance(error, str):
            code = error
        elif isinstance(details.get("code"), str):
            code = details["code"]
        raw_message = details.get("message")
        message = raw_message if isinstance(raw_message, str) and raw_message else None
        raw_problems = details.get("errors", body.get("errors"))
        for problem in raw_problems if isinstance(raw_problems, list) else []:
            if isinstance(problem, dict):
                field = str(problem.get("field", "?"))
                if isinstance(problem.get("index"), int):
                    field = f"[{problem['index']}].{field}"
                problems.append((field, str(problem.get("problem", problem.get("message", "")))))
        if message is None and problems:
            message = f"{problems[0][0]}: {problems[0][1]}"
    if message is None:
        text = " ".join(response.text.split())[:MAX_SHOWN_BODY]
        message = f"{response.request.method} {response.request.url.path} failed" + (f": {text}" if text else "")
    return ApiError(status, message, code=code, problems=tuple(problems), hint=_hint(status, connection))


def _hint(status: int, connection: Connection) -> str | None:
    if status == 401:
        return (
            f"the API key (from {connection.source('api_key')}) was not accepted by {connection.url}: "
            "check --api-key, VIGIL_API_KEY or the profile's api_key"
        )
    if status == 403:
        return f"the API key (from {connection.source('api_key')}) may not do this"
    return None


class VigilApi:
    """A client of one vigil API; use as a context manager (one connection pool for the command)."""

    def __init__(
        self,
        connection: Connection,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.connection = connection
        self.timeout_s = timeout_s
        self._client = httpx.Client(
            base_url=connection.url,
            timeout=timeout_s,
            transport=transport,
            headers={"x-api-key": connection.api_key, "user-agent": _user_agent(), "accept": "application/json"},
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    @property
    def url(self) -> str:
        return self.connection.url

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | None] | None = None,
        body: Any = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        """The API's successful answer; an ApiError for a 4xx/5xx, a CliError when it cannot be reached."""
        try:
            response = self._client.request(
                method,
                path,
                params={key: value for key, value in (params or {}).items() if value is not None} or None,
                content=None if body is None else json.dumps(body),
                headers={"content-type": "application/json"} if body is not None else None,
                timeout=timeout_s if timeout_s is not None else self.timeout_s,
            )
        except httpx.ConnectError as exc:
            raise CliError(f"cannot reach vigil at {self.url}: {_reason(exc)}") from None
        except httpx.TimeoutException:
            raise CliError(
                f"vigil at {self.url} did not answer {method} {path} within {timeout_s or self.timeout_s:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise CliError(f"{method} {self.url}{path} failed: {_reason(exc)}") from None
        if response.is_error:
            raise error_from_response(response, self.connection)
        return response

    def json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | None] | None = None,
        body: Any = None,
        timeout_s: float | None = None,
    ) -> Any:
        """The API's JSON answer (None for an empty one, e.g. 204)."""
        response = self.send(method, path, params=params, body=body, timeout_s=timeout_s)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            text = " ".join(response.text.split())[:MAX_SHOWN_BODY]
            raise CliError(
                f"{method} {self.url}{path} answered {response.status_code} with something that is not JSON "
                f"(is {self.url} a vigil API?): {text}"
            ) from None

    def get(self, path: str, params: Mapping[str, str | None] | None = None) -> Any:
        return self.json("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.json("POST", path, body=body)

    def put(self, path: str, body: Any) -> Any:
        return self.json("PUT", path, body=body)

    def delete(self, path: str) -> Any:
        return self.json("DELETE", path)


def _reason(exc: httpx.HTTPError) -> str:
    return str(exc) or type(exc).__name__


def path_segment(value: str) -> str:
    """An id as one path segment: a slash or space in a user's id must not change the route."""
    from urllib.parse import quote

    return quote(value, safe="")


def api_from_args(args: Any, *, timeout_s: float = DEFAULT_TIMEOUT_S, as_operator: bool = False) -> VigilApi:
    """The API the command's connection options (and the environment, config file, local cloud) point at.

    `as_operator`: when the key is the local cloud's demo key, use the local cloud's operator key instead (for
    what only operators may read); any other key is used as it is."""
    from dataclasses import replace

    from vigil_cli.config import resolve_connection

    connection = resolve_connection(args)
    if as_operator and connection.operator_api_key:
        sources = {**connection.sources, "api_key": connection.source("api_key") + ", its operator key"}
        connection = replace(connection, api_key=connection.operator_api_key, sources=sources)
    return VigilApi(connection, timeout_s=timeout_s)
