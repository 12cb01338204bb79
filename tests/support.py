"""Helpers shared by the test suites: sample events, handler loading, a Lambda context, in-memory wiring."""

from __future__ import annotations

import importlib.util
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from vigil_cli.bootstrap import SAMPLE_EVENTS_API_KEY
from vigil_core.adapters.memory import InMemoryIdempotencyGuard, InMemoryRollupStore, InMemoryTenantDirectory
from vigil_core.models.tenants import ApiKey, hash_api_key
from vigil_core.services.auth import Authenticator
from vigil_core.services.ingest import IngestDependencies, Retention
from vigil_core.services.query import QueryDependencies

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"
SAMPLE_EVENT_KEY = SAMPLE_EVENTS_API_KEY


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return event


def load_handler(function: str) -> ModuleType:
    """Import functions/<function>/handler.py under a unique name (every function's file is handler.py)."""
    path = ROOT / "functions" / function / "handler.py"
    spec = importlib.util.spec_from_file_location(f"vigil_test_{function}_handler_{uuid.uuid4().hex}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class FakeLambdaContext:
    function_name: str = "vigil-test"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:vigil-test"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/vigil-test"
    log_stream_name: str = "2026/11/22/[$LATEST]test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


@dataclass
class InMemoryVigil:
    """Both API functions' dependencies on shared in-memory adapters, with a sample tenant per key."""

    directory: InMemoryTenantDirectory = field(default_factory=InMemoryTenantDirectory)
    store: InMemoryRollupStore = field(default_factory=InMemoryRollupStore)
    idempotency: InMemoryIdempotencyGuard = field(default_factory=InMemoryIdempotencyGuard)

    def add_key(self, tenant_id: str, plaintext: str, revoked: bool = False) -> None:
        now = datetime.now(UTC)
        self.directory.put_api_key(
            ApiKey(
                key_id=uuid.uuid4().hex[:12],
                tenant_id=tenant_id,
                key_hash=hash_api_key(plaintext),
                created_at=now,
                revoked_at=now if revoked else None,
            )
        )

    def ingest_dependencies(self) -> IngestDependencies:
        return IngestDependencies(Authenticator(self.directory), self.store, Retention(), self.idempotency)

    def query_dependencies(self) -> QueryDependencies:
        return QueryDependencies(Authenticator(self.directory), self.store)


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event based on the sample event, with the given request."""
    event = load_event("ingest_post_metrics")
    all_headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", **(headers or {})}
    event.update(
        {
            "httpMethod": method,
            "path": path,
            "resource": resource or path,
            "headers": all_headers,
            "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
            "queryStringParameters": query,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
            "pathParameters": path_parameters,
            "body": body if body is None or isinstance(body, str) else json.dumps(body),
        }
    )
    event["requestContext"] = {**event["requestContext"], "httpMethod": method, "resourcePath": event["resource"]}
    return event
