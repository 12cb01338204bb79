"""Channel secrets (webhook URLs, routing keys, signing secrets) read by reference, cached for a while.

A reference is `secretsmanager:<name or ARN>` or `ssm:<parameter name>` (a SecureString, read decrypted).
Names must lie under the prefixes the notifier's IAM policy grants, so a reference that could never be read
is refused when it is parsed rather than when a notification goes out. Values are cached by Powertools'
parameter providers for `max_age_s`; failures are not cached. No error or log line ever holds a value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

# Aliased: the reader's own ssm_client parameter would otherwise shadow the factory's name.
from vigil_core.adapters.aws import secretsmanager_client as default_secrets_client
from vigil_core.adapters.aws import ssm_client as default_ssm_client
from vigil_core.models.notifications import parse_reference
from vigil_core.ports import SecretUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient

DEFAULT_MAX_AGE_S = 300


class CachedSecretReader:
    def __init__(
        self,
        max_age_s: int = DEFAULT_MAX_AGE_S,
        secrets_client: SecretsManagerClient | None = None,
        ssm_client: SSMClient | None = None,
    ) -> None:
        if max_age_s < 0:
            raise ValueError("max_age_s must not be negative (0 reads every time)")
        self.max_age_s = max_age_s
        self._secrets_client = secrets_client
        self._ssm_client = ssm_client
        # Made on first read: never a client at import time; each provider holds its own cache.
        self._secrets: SecretsProvider | None = None
        self._parameters: SSMProvider | None = None

    def read(self, reference: str) -> str:
        store, name = parse_reference(reference)
        try:
            if store == "secretsmanager":
                value = self._secrets_provider().get(name, max_age=self.max_age_s)
            else:
                value = self._parameters_provider().get(name, max_age=self.max_age_s, decrypt=True)
        except GetParameterError as exc:
            raise SecretUnavailableError(f"secret {reference} could not be read: {_cause(exc)}") from None
        if isinstance(value, bytes):  # a SecretBinary
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                # The decode error would quote the offending bytes: part of the value.
                raise SecretUnavailableError(f"secret {reference} is binary, not UTF-8 text") from None
        if not isinstance(value, str):
            raise SecretUnavailableError(f"secret {reference} is not text ({type(value).__name__})")
        return value

    def _secrets_provider(self) -> SecretsProvider:
        if self._secrets is None:
            self._secrets = SecretsProvider(boto3_client=self._secrets_client or default_secrets_client())
        return self._secrets

    def _parameters_provider(self) -> SSMProvider:
        if self._parameters is None:
            self._parameters = SSMProvider(boto3_client=self._ssm_client or default_ssm_client())
        return self._parameters


def _cause(exc: GetParameterError) -> str:
    """The AWS error code and message behind a provider's error (it wraps the original without chaining)."""
    original = exc.__cause__ or exc.__context__
    if isinstance(original, ClientError):
        error = original.response.get("Error", {})
        code, message = error.get("Code", "Unknown"), error.get("Message")
        return f"{code}: {message}" if message else code
    if isinstance(original, BotoCoreError):
        return f"{type(original).__name__}: {original}"
    # Anything else (a transform, a bug) may quote what it was given: only its type is named.
    return type(original).__name__ if original is not None else "unknown error"
