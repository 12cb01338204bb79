"""API Gateway (REST, v1) on 127.0.0.1: the template's methods, Lambda proxy events, proxy responses.

Routes come from RestApi/Resource/Method resources (paths assembled through the ParentId chain).
AWS_PROXY integrations invoke the function in-process; MOCK integrations with static responses (CDK's
CORS preflight) are answered directly. Paths are served with and without the ``/<stage>`` prefix.
Like API Gateway: unknown route or method -> 403 "Missing Authentication Token", payload over 10 MB ->
413, a handler exception or malformed proxy response -> 502 "Internal server error".
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from vigil_cli.local.errors import (
    FunctionError,
    FunctionNotFoundError,
    LocalCloudError,
    TemplateError,
    UnsupportedResourceError,
)
from vigil_cli.local.functions import FunctionRegistry, FunctionSpec
from vigil_cli.local.records import ApiRequestRecord
from vigil_cli.local.template import Provisioned

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # API Gateway's hard limit
_DRAIN_LIMIT_BYTES = 64 * 1024 * 1024  # read and discard an oversized body up to this, so the client sees the 413
_JSON_RECORD_LIMIT = 4096
_FUNCTION_URI = re.compile(r"/functions/(arn:[^/]+)/invocations")
_PROXY_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"})

RequestHook = Callable[[ApiRequestRecord], None]


@dataclass(frozen=True)
class MockResponse:
    status: int
    headers: Mapping[str, str]
    body: str


@dataclass(frozen=True)
class Route:
    resource_path: str
    method: str  # an HTTP method or ANY
    resource_id: str
    function: FunctionSpec | None
    mock: MockResponse | None

    @property
    def pattern(self) -> list[str]:
        return [part for part in self.resource_path.split("/") if part]

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """Path parameters (URL-decoded) when the request path fits this resource, else None."""
        params: dict[str, str] = {}
        pattern = self.pattern
        for position, part in enumerate(pattern):
            if part.startswith("{") and part.endswith("+}"):
                rest = segments[position:]
                if not rest or not all(rest):
                    return None
                params[part[1:-2]] = unquote("/".join(rest))
                return params
            if position >= len(segments) or not segments[position]:
                return None
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = unquote(segments[position])
            elif unquote(segments[position]) != part:
                return None
        return params if len(segments) == len(pattern) else None

    def specificity(self) -> tuple[tuple[int, ...], bool]:
        """Literal segments beat {param}, which beats {proxy+}; an exact method beats ANY."""
        scores = tuple(0 if part.endswith("+}") else 1 if part.startswith("{") else 2 for part in self.pattern)
        return scores, self.method != "ANY"


@dataclass(frozen=True)
class RestApi:
    api_id: str
    stages: tuple[str, ...]
    routes: tuple[Route, ...]

    @property
    def stage(self) -> str:
        return self.stages[0]

    def strip_stage(self, path: str) -> str:
        for stage in self.stages:
            if path == f"/{stage}" or path.startswith(f"/{stage}/"):
                return path[len(stage) + 1 :] or "/"
        return path

    def find(self, path: str, method: str) -> tuple[Route, dict[str, str]] | None:
        segments = path.split("/")[1:]
        if segments and segments[-1] == "":
            segments.pop()
        candidates = [
            (route, params)
            for route in self.routes
            if route.method in (method, "ANY") and (params := route.match(segments)) is not None
        ]
        if not candidates:
            return None
        return max(candidates, key=lambda candidate: candidate[0].specificity())


def build_rest_api(stack: Mapping[str, Provisioned], registry: FunctionRegistry) -> RestApi | None:
    """The template's one RestApi as routes, or None when it has none."""
    apis = [logical_id for logical_id, item in stack.items() if item.type == "AWS::ApiGateway::RestApi"]
    if not apis:
        return None
    if len(apis) > 1:
        raise TemplateError(f"the local API server serves one RestApi; the template has {apis}")
    api = stack[apis[0]]
    api_id = api.physical_id
    parents: dict[str, tuple[str, str]] = {
        item.physical_id: (item.properties["ParentId"], item.properties["PathPart"])
        for item in stack.values()
        if item.type == "AWS::ApiGateway::Resource" and item.properties.get("RestApiId") == api_id
    }
    root_id = str(api.attributes["RootResourceId"])

    def path_of(resource_id: str) -> str:
        if resource_id == root_id:
            return "/"
        parent_id, part = parents[resource_id]
        return path_of(parent_id).rstrip("/") + "/" + part

    routes = []
    for logical_id, item in stack.items():
        if item.type == "AWS::ApiGateway::Method" and item.properties.get("RestApiId") == api_id:
            resource_id = item.properties["ResourceId"]
            function, mock = _integration(logical_id, item.properties["Integration"], registry)
            routes.append(
                Route(path_of(resource_id), item.properties["HttpMethod"].upper(), resource_id, function, mock)
            )
    stages = [
        str(item.properties["StageName"])
        for item in stack.values()
        if item.type in ("AWS::ApiGateway::Stage", "AWS::ApiGateway::Deployment")
        and item.properties.get("RestApiId") == api_id
        and item.properties.get("StageName")
    ]
    if not stages:
        raise TemplateError(f"RestApi {apis[0]} has no Stage; API Gateway would not serve it either")
    return RestApi(api_id, tuple(dict.fromkeys(stages)), tuple(routes))


def _integration(
    logical_id: str, integration: Mapping[str, Any], registry: FunctionRegistry
) -> tuple[FunctionSpec | None, MockResponse | None]:
    if integration.get("Type") == "AWS_PROXY":
        match = _FUNCTION_URI.search(str(integration.get("Uri", "")))
        if match is None:
            raise UnsupportedResourceError(
                "AWS::ApiGateway::Method",
                logical_id,
                f"AWS_PROXY Uri is not a Lambda function: {integration.get('Uri')}",
            )
        try:
            return registry.get(match.group(1)), None
        except FunctionNotFoundError as exc:
            raise TemplateError(f"method {logical_id} integrates an unknown function: {exc}") from exc
    if integration.get("Type") == "MOCK":
        return None, _mock_response(logical_id, integration)
    raise UnsupportedResourceError("AWS::ApiGateway::Method", logical_id, f"integration type {integration.get('Type')}")


def _mock_response(logical_id: str, integration: Mapping[str, Any]) -> MockResponse:
    """A MOCK integration with static values only (its default integration response)."""
    responses = integration.get("IntegrationResponses", [])
    default = next((item for item in responses if not item.get("SelectionPattern")), None)
    if default is None:
        raise UnsupportedResourceError("AWS::ApiGateway::Method", logical_id, "MOCK without a default response")
    headers = {}
    for key, raw_value in default.get("ResponseParameters", {}).items():
        value = str(raw_value)
        if not (key.startswith("method.response.header.") and len(value) >= 2 and value[0] == value[-1] == "'"):
            raise UnsupportedResourceError(
                "AWS::ApiGateway::Method", logical_id, f"MOCK response parameter {key}={value} is not a static value"
            )
        headers[key.removeprefix("method.response.header.")] = value[1:-1]
    body = str(default.get("ResponseTemplates", {}).get("application/json", ""))
    if "$" in body or "#" in body:
        raise UnsupportedResourceError("AWS::ApiGateway::Method", logical_id, "MOCK response templates with VTL")
    return MockResponse(int(default.get("StatusCode", 200)), headers, body)


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    target: str  # path and query, as sent
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str


@dataclass
class OutgoingResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    function: str | None = None


def _gateway_error(status: int, message: str, error_type: str | None = None) -> OutgoingResponse:
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return OutgoingResponse(status, headers, json.dumps({"message": message}).encode())


def too_large_response() -> OutgoingResponse:
    return _gateway_error(413, "Request Too Long")


class ApiGateway:
    """Turns HTTP requests into Lambda proxy events and proxy results back into HTTP responses."""

    def __init__(self, api: RestApi, registry: FunctionRegistry, *, account_id: str) -> None:
        self.api = api
        self.registry = registry
        self.account_id = account_id

    def handle(self, request: IncomingRequest) -> OutgoingResponse:
        split = urlsplit(request.target)
        raw_path = split.path or "/"
        path = self.api.strip_stage(raw_path)
        found = self.api.find(path, request.method)
        if found is None and path != raw_path:  # a resource that merely starts like the stage name
            path = raw_path
            found = self.api.find(path, request.method)
        if found is None:
            return _gateway_error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
        route, path_parameters = found
        if route.mock is not None:
            headers = [("Content-Type", "application/json"), *route.mock.headers.items()]
            return OutgoingResponse(route.mock.status, headers, route.mock.body.encode())
        assert route.function is not None
        request_id = str(uuid.uuid4())
        event = self.proxy_event(request, route, path, split.query, path_parameters, request_id)
        try:
            result = self.registry.invoke(route.function.logical_id, event)
        except FunctionError:
            response = _gateway_error(502, "Internal server error")
        else:
            response = self._proxy_response(result, route.function, request_id)
        response.function = route.function.short_name
        return response

    def proxy_event(
        self,
        request: IncomingRequest,
        route: Route,
        path: str,
        query: str,
        path_parameters: dict[str, str],
        request_id: str,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        for name, value in request.headers:
            headers[name] = value  # the last value wins, as in API Gateway
            multi_headers.setdefault(name, []).append(value)
        query_parameters: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for name, value in parse_qsl(query, keep_blank_values=True):
            query_parameters[name] = value
            multi_query.setdefault(name, []).append(value)
        body, is_base64 = _event_body(request.body)
        host = _header(request.headers, "host") or ""
        stage = self.api.stage
        return {
            "resource": route.resource_path,
            "path": path,
            "httpMethod": request.method,
            "headers": headers,
            "multiValueHeaders": multi_headers,
            "queryStringParameters": query_parameters or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "accountId": self.account_id,
                "apiId": self.api.api_id,
                "resourceId": route.resource_id,
                "stage": stage,
                "requestId": request_id,
                "extendedRequestId": uuid.uuid4().hex[:16],
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "resourcePath": route.resource_path,
                "httpMethod": request.method,
                "path": f"/{stage}{path}",
                "protocol": request.protocol,
                "domainName": host,
                "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
                "identity": {
                    "cognitoIdentityPoolId": None,
                    "accountId": None,
                    "cognitoIdentityId": None,
                    "caller": None,
                    "sourceIp": request.source_ip,
                    "principalOrgId": None,
                    "accessKey": None,
                    "cognitoAuthenticationType": None,
                    "cognitoAuthenticationProvider": None,
                    "userArn": None,
                    "userAgent": _header(request.headers, "user-agent"),
                    "user": None,
                },
            },
            "body": body,
            "isBase64Encoded": is_base64,
        }

    def _proxy_response(self, result: Any, function: FunctionSpec, request_id: str) -> OutgoingResponse:
        problem = _proxy_result_problem(result)
        if problem:
            self.registry.append_log(function.logical_id, f"Execution failed due to configuration error: {problem}\n")
            return _gateway_error(502, "Internal server error")
        headers: list[tuple[str, str]] = []
        multi = result.get("multiValueHeaders") or {}
        for name, values in multi.items():
            headers.extend((name, _header_text(value)) for value in values)
        multi_names = {name.lower() for name in multi}
        for name, value in (result.get("headers") or {}).items():
            if name.lower() not in multi_names:
                headers.append((name, _header_text(value)))
        names = {name.lower() for name, _ in headers}
        if "content-type" not in names:
            headers.append(("Content-Type", "application/json"))
        headers.append(("x-amzn-RequestId", request_id))
        body = result.get("body") or ""
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        return OutgoingResponse(int(result["statusCode"]), headers, payload)


def _proxy_result_problem(result: Any) -> str | None:  # noqa: PLR0911 - one return per check
    if not isinstance(result, dict):
        return f"Malformed Lambda proxy response: not an object ({type(result).__name__})"
    extra = set(result) - _PROXY_RESPONSE_KEYS
    if extra:
        return f"Malformed Lambda proxy response: unexpected keys {sorted(extra)}"
    try:
        status = int(result.get("statusCode", ""))
    except (TypeError, ValueError):
        return "Malformed Lambda proxy response: statusCode missing or not a number"
    if not 100 <= status <= 599:
        return f"Malformed Lambda proxy response: statusCode {status}"
    if result.get("body") is not None and not isinstance(result["body"], str):
        return "Malformed Lambda proxy response: body must be a string"
    if result.get("isBase64Encoded") and result.get("body"):
        try:
            base64.b64decode(result["body"], validate=True)
        except binascii.Error:
            return "Malformed Lambda proxy response: body is not valid base64"
    return None


def _event_body(raw: bytes) -> tuple[str | None, bool]:
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode(), True


def _header(headers: list[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in headers if key.lower() == name]
    return values[-1] if values else None


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Handler(BaseHTTPRequestHandler):
    server: _GatewayHttpServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "vigil-local"

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the terminal view reports requests instead."""

    def _dispatch(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        if body is None:
            response = too_large_response()
            self.close_connection = True
        else:
            request = IncomingRequest(
                method=self.command,
                target=self.path,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                protocol=self.request_version,
            )
            try:
                response = self.server.gateway.handle(request)
            except Exception as exc:  # a bug here must not kill the server thread
                print(f"vigil local: API request failed: {exc!r}", file=sys.stderr)
                response = _gateway_error(500, "Internal server error")
        # Reported before the response goes out, so the view's line never trails what the client saw.
        self.server.report(self.command, self.path, response, time.monotonic() - started)
        self._write(response)

    def _read_body(self) -> bytes | None:
        """The request body, or None when it is over API Gateway's limit."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_PAYLOAD_BYTES:
            if length <= _DRAIN_LIMIT_BYTES:
                self._discard(length)
            return None
        return self.rfile.read(length) if length else b""

    def _discard(self, length: int) -> None:
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                return
            remaining -= len(chunk)

    def _read_chunked(self) -> bytes | None:
        parts: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts) if total <= MAX_PAYLOAD_BYTES else None
            chunk = self.rfile.read(size)
            self.rfile.readline()
            total += size
            if total <= MAX_PAYLOAD_BYTES:
                parts.append(chunk)
            elif total > _DRAIN_LIMIT_BYTES:
                return None

    def _write(self, response: OutgoingResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _dispatch  # noqa: N815 - http.server names


class _GatewayHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], gateway: ApiGateway, on_request: RequestHook | None) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway
        self.on_request = on_request

    def report(self, method: str, target: str, response: OutgoingResponse, elapsed_s: float) -> None:
        if self.on_request is None:
            return
        parsed: Any = None
        if len(response.body) < _JSON_RECORD_LIMIT:
            try:
                parsed = json.loads(response.body)
            except ValueError:
                parsed = None
        record = ApiRequestRecord(
            time=datetime.now(UTC),
            method=method,
            path=urlsplit(target).path,
            status=response.status,
            duration_ms=elapsed_s * 1000,
            function=response.function,
            response_bytes=len(response.body),
            response_json=parsed,
        )
        try:
            self.on_request(record)
        except Exception as exc:  # the view must never break serving
            print(f"vigil local: on_request hook failed: {exc!r}", file=sys.stderr)


class ApiGatewayServer:
    """The HTTP server thread for one RestApi on 127.0.0.1."""

    def __init__(
        self,
        gateway: ApiGateway,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_request: RequestHook | None = None,
    ) -> None:
        try:
            self._server = _GatewayHttpServer((host, port), gateway, on_request)
        except OSError as exc:
            raise LocalCloudError(
                f"cannot serve the API on {host}:{port}: {exc.strerror or exc}; "
                "choose another port with --port (0 picks a free one)"
            ) from exc
        self._thread = threading.Thread(target=self._server.serve_forever, name="vigil-api", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout_s)
        self._server.server_close()
