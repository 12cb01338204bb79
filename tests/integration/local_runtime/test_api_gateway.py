"""API Gateway REST on 127.0.0.1: routes from the template, Lambda proxy events, proxy responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from vigil_cli.local.cloud import LocalCloud
from vigil_cli.local.records import ApiRequestRecord

from .templates import ASSEMBLY_DIR, STAGE_NAME, api_template

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def requests_seen() -> list[ApiRequestRecord]:
    return []


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, requests_seen: list[ApiRequestRecord]) -> Iterator[LocalCloud]:
    with LocalCloud(
        api_template(),
        ASSEMBLY_DIR,
        state_dir=tmp_path_factory.mktemp("api-state"),
        start_schedules=False,
        start_pollers=False,
        start_sweeper=False,
        on_request=requests_seen.append,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def http(cloud: LocalCloud) -> Iterator[httpx.Client]:
    assert cloud.api_url is not None
    with httpx.Client(base_url=cloud.api_url, timeout=30) as client:
        yield client


def _echoed(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_proxy_event_carries_method_path_query_headers_and_body(cloud: LocalCloud, http: httpx.Client) -> None:
    # Given a POST with repeated query parameters, a repeated header and a JSON body
    response = http.post(
        "/v1/metrics?tag=a&tag=b&from=-15m&empty=",
        headers=[("X-Api-Key", "k1"), ("X-Trace", "one"), ("X-Trace", "two"), ("Content-Type", "application/json")],
        content=b'{"points": []}',
    )

    # Then the handler saw the event API Gateway (REST, v1) builds
    event = _echoed(response)["event"]
    assert event["resource"] == "/v1/metrics"
    assert event["path"] == "/v1/metrics"
    assert event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"tag": "b", "from": "-15m", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "from": ["-15m"], "empty": [""]}
    assert event["headers"]["X-Api-Key"] == "k1"
    assert event["headers"]["X-Trace"] == "two"
    assert event["multiValueHeaders"]["X-Trace"] == ["one", "two"]
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] == '{"points": []}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == STAGE_NAME
    assert context["path"] == f"/{STAGE_NAME}/v1/metrics"
    assert context["resourcePath"] == "/v1/metrics"
    assert context["httpMethod"] == "POST"
    assert context["apiId"] == cloud.physical_id("Api")
    assert context["resourceId"] == cloud.physical_id("Metrics")
    assert context["accountId"] == "123456789012"
    assert context["protocol"] == "HTTP/1.1"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"].startswith("python-httpx")
    assert isinstance(context["requestTimeEpoch"], int)
    assert context["requestId"] == response.headers["x-amzn-RequestId"]


def test_path_parameters_are_url_decoded_and_proxy_plus_is_greedy(http: httpx.Client) -> None:
    named = _echoed(http.get("/v1/metrics/http.requests%20total"))["event"]
    assert named["resource"] == "/v1/metrics/{name}"
    assert named["pathParameters"] == {"name": "http.requests total"}

    greedy = _echoed(http.delete("/v1/files/reports/2026/q3%2Bq4.csv"))["event"]
    assert greedy["resource"] == "/v1/files/{proxy+}"
    assert greedy["httpMethod"] == "DELETE"
    assert greedy["pathParameters"] == {"proxy": "reports/2026/q3+q4.csv"}


def test_get_without_query_or_body_has_nulls_like_api_gateway(http: httpx.Client) -> None:
    event = _echoed(http.get("/"))["event"]
    assert event["resource"] == "/"
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["body"] is None


def test_the_stage_prefixed_path_is_served_too(http: httpx.Client) -> None:
    event = _echoed(http.get(f"/{STAGE_NAME}/v1/metrics"))["event"]
    assert event["path"] == "/v1/metrics"
    assert event["requestContext"]["path"] == f"/{STAGE_NAME}/v1/metrics"


def test_binary_body_arrives_base64_encoded(http: httpx.Client) -> None:
    event = _echoed(http.post("/v1/metrics", content=b"\xff\xfe\x00binary"))["event"]
    assert event["isBase64Encoded"] is True
    assert event["body"] == "//4AYmluYXJ5"


def test_proxy_result_headers_and_multi_value_headers_are_returned(http: httpx.Client) -> None:
    response = http.get("/v1/metrics")
    assert response.headers["x-echo"] == "yes"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert response.headers["content-type"] == "application/json"  # API Gateway's default


def test_handler_sees_its_context_and_the_backend(cloud: LocalCloud, http: httpx.Client) -> None:
    body = _echoed(http.get("/v1/metrics"))
    assert body["env"]["AWS_ENDPOINT_URL"] == cloud.backend_url
    assert body["context"]["function_name"] == cloud.physical_id("Echo")
    assert body["context"]["function_version"] == "$LATEST"
    assert body["context"]["invoked_function_arn"] == cloud.attribute("Echo", "Arn")
    assert body["context"]["memory_limit_in_mb"] == 256
    assert 0 < body["context"]["remaining_ms"] <= 10_000


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v2/metrics"), ("GET", "/v1"), ("DELETE", "/v1/metrics"), ("GET", "/v1/files"), ("PUT", "/")],
)
def test_unknown_route_or_method_is_403_missing_authentication_token(
    http: httpx.Client, method: str, path: str
) -> None:
    response = http.request(method, path)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_payload_over_10_mb_is_413(http: httpx.Client) -> None:
    response = http.post("/v1/metrics", content=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    # the connection was closed, but the server still serves
    assert http.get("/v1/metrics").status_code == 200


def test_payload_of_exactly_10_mb_is_accepted(http: httpx.Client) -> None:
    response = http.post("/v1/metrics", content=b"y" * (10 * 1024 * 1024))
    assert response.status_code == 200


def test_handler_exception_is_502_and_its_traceback_goes_to_the_function_log(
    cloud: LocalCloud, http: httpx.Client
) -> None:
    response = http.post("/v1/boom", json={})
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    log = cloud.functions.log_path("boom").read_text()
    assert "RuntimeError: boom from the toy handler" in log
    assert "Traceback (most recent call last)" in log


def test_malformed_proxy_response_is_502(cloud: LocalCloud, http: httpx.Client) -> None:
    response = http.get("/v1/malformed")
    assert response.status_code == 502
    assert "body must be a string" in cloud.functions.log_path("Malformed").read_text()


def test_a_call_past_the_function_timeout_is_logged_and_fails(cloud: LocalCloud, http: httpx.Client) -> None:
    response = http.get("/v1/slow")
    assert response.status_code == 502
    assert "Task timed out after 1.00 seconds" in cloud.functions.log_path("Slow").read_text()


def test_mock_cors_preflight_answers_with_its_static_headers(http: httpx.Client) -> None:
    response = http.options("/v1/metrics")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET,POST,OPTIONS"


def test_handler_output_goes_to_its_log_file_not_the_terminal(
    cloud: LocalCloud, http: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    _echoed(http.get("/v1/metrics/cpu"))
    assert "echo handler saw GET /v1/metrics/cpu" in cloud.functions.log_path("echo").read_text()
    assert "echo handler saw" not in capfd.readouterr().out


def test_each_request_is_reported_to_the_hook(http: httpx.Client, requests_seen: list[ApiRequestRecord]) -> None:
    requests_seen.clear()
    http.get("/v1/metrics?x=1")
    http.get("/nowhere")

    served, missing = requests_seen
    assert (served.method, served.path, served.status, served.function) == ("GET", "/v1/metrics", 200, "echo")
    assert served.duration_ms > 0
    assert served.response_bytes > 0
    assert (missing.status, missing.function) == (403, None)
    assert missing.response_json == {"message": "Missing Authentication Token"}


def test_outputs_resolve_to_the_stage_url(cloud: LocalCloud) -> None:
    assert cloud.outputs() == {
        "ApiUrl": f"https://{cloud.physical_id('Api')}.execute-api.us-east-1.amazonaws.com/{STAGE_NAME}/"
    }
