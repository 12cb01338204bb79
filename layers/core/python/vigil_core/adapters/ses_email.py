"""Email through SES v2 SendEmail: one message with a text and an HTML part, UTF-8, to every recipient.

SES errors become ChannelSendError: throttling, outages and network failures are retryable; a refusal of the
message itself (an unverified sender, a paused account, a bad address) is not. The client already retried
throttling within its own attempts (standard retry mode) before any of this is raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from vigil_core.adapters.aws import channel_send_error, sesv2_client
from vigil_core.ports import ChannelSendError

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sesv2.type_defs import SendEmailRequestTypeDef

# SES refuses a message with more destinations than this; checked first for a clearer error.
SES_RECIPIENT_LIMIT = 50
CHARSET = "UTF-8"
RETRYABLE_SES_ERRORS = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalFailure",
        "InternalServiceErrorException",
    }
)


class SesEmailSender:
    def __init__(self, configuration_set: str | None = None, client: SESV2Client | None = None) -> None:
        self.configuration_set = configuration_set
        self._client = client

    @property
    def client(self) -> SESV2Client:
        return self._client or sesv2_client()

    def send(self, sender: str, recipients: Sequence[str], subject: str, text: str, html: str) -> str:
        if not recipients:
            raise ChannelSendError("SES send_email: no recipients", retryable=False)
        if len(recipients) > SES_RECIPIENT_LIMIT:
            raise ChannelSendError(
                f"SES send_email: {len(recipients)} recipients, SES takes at most {SES_RECIPIENT_LIMIT}",
                retryable=False,
            )
        request: SendEmailRequestTypeDef = {
            "FromEmailAddress": sender,
            "Destination": {"ToAddresses": list(recipients)},
            "Content": {
                "Simple": {
                    "Subject": {"Data": subject, "Charset": CHARSET},
                    "Body": {
                        "Text": {"Data": text, "Charset": CHARSET},
                        "Html": {"Data": html, "Charset": CHARSET},
                    },
                }
            },
        }
        if self.configuration_set:
            request["ConfigurationSetName"] = self.configuration_set
        try:
            response = self.client.send_email(**request)
        except (ClientError, BotoCoreError) as exc:
            raise channel_send_error(exc, "SES send_email", RETRYABLE_SES_ERRORS) from exc
        return response["MessageId"]
