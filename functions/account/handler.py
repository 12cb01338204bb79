"""/v1/keys and /v1/status-page: the caller's API keys and its status page settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.dynamodb_monitors import DynamoDbMonitorRepository
from vigil_core.adapters.dynamodb_tenants import DynamoDBTenantDirectory
from vigil_core.api import DependencySlot, json_response, register_error_handlers, request_from, utc_now
from vigil_core.services.account import AccountService, issued_to_public, key_to_public
from vigil_core.services.auth import Authenticator, Caller
from vigil_core.services.monitors import json_body
from vigil_core.settings import AccountSettings, load_settings

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
register_error_handlers(app, logger, metrics)


@dataclass(frozen=True)
class AccountApi:
    authenticator: Authenticator
    account: AccountService


def build_dependencies() -> AccountApi:
    settings = load_settings(AccountSettings)
    directory = DynamoDBTenantDirectory(settings.config_table_name)
    return AccountApi(
        # No remembered answers here: a key revoked a moment ago must not go on managing keys.
        authenticator=Authenticator(directory, cache_seconds=0),
        account=AccountService(directory, DynamoDbMonitorRepository(settings.config_table_name), utc_now),
    )


dependencies = DependencySlot(build_dependencies)


def _caller() -> Caller:
    return dependencies.get().authenticator.caller_for(request_from(app.current_event).headers)


def _optional_body() -> Any:
    request = request_from(app.current_event)
    return None if not (request.body or b"").strip() else json_body(request)


@app.get("/v1/keys")
@tracer.capture_method
def list_keys() -> Response[str]:
    keys = dependencies.get().account.keys(_caller().tenant_id)
    return json_response(200, {"keys": [key_to_public(key) for key in keys]})


@app.post("/v1/keys")
@tracer.capture_method
def create_key() -> Response[str]:
    caller = _caller()
    issued = dependencies.get().account.create_key(caller.tenant_id, _optional_body())
    logger.info("API key created", extra={"key_id": issued.api_key.key_id, "by": caller.name})
    metrics.add_metric(name="ApiKeysCreated", unit=MetricUnit.Count, value=1)
    return json_response(201, issued_to_public(issued), {"Cache-Control": "no-store"})


@app.delete("/v1/keys/<key_id>")
@tracer.capture_method
def revoke_key(key_id: str) -> Response[str]:
    caller = _caller()
    revoked = dependencies.get().account.revoke_key(caller.tenant_id, key_id)
    logger.info("API key revoked", extra={"key_id": key_id, "by": caller.name})
    metrics.add_metric(name="ApiKeysRevoked", unit=MetricUnit.Count, value=1)
    return json_response(200, key_to_public(revoked))


@app.get("/v1/status-page")
@tracer.capture_method
def get_status_page() -> Response[str]:
    settings = dependencies.get().account.status_page(_caller().tenant_id)
    return json_response(200, settings.model_dump(mode="json"))


@app.put("/v1/status-page")
@tracer.capture_method
def put_status_page() -> Response[str]:
    settings = dependencies.get().account.put_status_page(_caller().tenant_id, _optional_body())
    return json_response(200, settings.model_dump(mode="json"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    dependencies.get()  # validates the settings at start: a missing variable fails here, by name
    return app.resolve(event, context)
