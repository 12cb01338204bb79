"""Idempotency-Key support on Powertools idempotency, persisted in the idempotency table."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from vigil_core.adapters.aws import dynamodb_client
from vigil_core.errors import conflict, unavailable, unprocessable

EXPIRY_SECONDS = 24 * 3600


class PowertoolsIdempotencyGuard:
    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self._local = threading.local()

    @cached_property
    def config(self) -> IdempotencyConfig:
        return IdempotencyConfig(
            event_key_jmespath="[tenant_id, idempotency_key]",
            payload_validation_jmespath="payload_hash",
            expires_after_seconds=EXPIRY_SECONDS,
            raise_on_no_idempotency_key=True,
        )

    @cached_property
    def _run(self) -> Callable[..., dict[str, Any]]:
        persistence = DynamoDBPersistenceLayer(table_name=self.table_name, boto3_client=dynamodb_client())

        @idempotent_function(  # type: ignore[untyped-decorator]  # Powertools' decorator is untyped
            data_keyword_argument="request", persistence_store=persistence, config=self.config
        )
        def run(request: dict[str, str], operation: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            self._local.executed = True
            return operation()

        typed_run: Callable[..., dict[str, Any]] = run
        return typed_run

    def register_lambda_context(self, context: LambdaContext) -> None:
        """Lets Powertools expire in-progress records when the function times out."""
        self.config.register_lambda_context(context)

    def run_once(
        self, tenant_id: str, idempotency_key: str, payload_hash: str, operation: Callable[[], dict[str, Any]]
    ) -> tuple[dict[str, Any], bool]:
        request = {"tenant_id": tenant_id, "idempotency_key": idempotency_key, "payload_hash": payload_hash}
        self._local.executed = False
        try:
            result = self._run(request=request, operation=operation)
        except IdempotencyValidationError:
            raise unprocessable(
                "this Idempotency-Key was already used with a different body", "Idempotency-Key"
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise conflict("a request with this Idempotency-Key is still in progress; retry shortly") from None
        except IdempotencyPersistenceLayerError as exc:
            raise unavailable("idempotency store unavailable; retry with the same Idempotency-Key") from exc
        return result, not self._local.executed
