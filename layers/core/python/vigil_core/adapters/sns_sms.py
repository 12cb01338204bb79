"""SMS through SNS Publish to a phone number, as a transactional message (the type SNS delivers first).

The number must be E.164 and is checked before any call, so a typo fails fast and costs nothing. SNS errors
become ChannelSendError: throttling, outages and network failures are retryable; anything else (an invalid
parameter, an opted-out number) would be refused again.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from vigil_core.adapters.aws import channel_send_error, sns_client
from vigil_core.ports import ChannelSendError

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

# "+", then the country code (never starting with 0) and the number: 8 to 15 digits in all.
E164_PATTERN = re.compile(r"\+[1-9][0-9]{7,14}")
# What carriers accept as an alphanumeric sender: 1-11 letters or digits, at least one letter.
SENDER_ID_PATTERN = re.compile(r"(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{1,11}")
SMS_TYPE_ATTRIBUTE = "AWS.SNS.SMS.SMSType"
SENDER_ID_ATTRIBUTE = "AWS.SNS.SMS.SenderID"
RETRYABLE_SNS_ERRORS = frozenset(
    {
        "Throttled",
        "Throttling",
        "ThrottlingException",
        "KMSThrottling",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


def is_e164(phone_number: str) -> bool:
    return E164_PATTERN.fullmatch(phone_number) is not None


class SnsSmsSender:
    def __init__(self, sender_id: str | None = None, client: SNSClient | None = None) -> None:
        if sender_id is not None and not SENDER_ID_PATTERN.fullmatch(sender_id):
            raise ValueError("an SMS sender ID is 1 to 11 letters or digits, at least one of them a letter")
        self.sender_id = sender_id
        self._client = client

    @property
    def client(self) -> SNSClient:
        return self._client or sns_client()

    def send(self, phone_number: str, text: str) -> str:
        if not is_e164(phone_number):
            # Not echoed: a near-miss is still someone's phone number, and errors end up in logs.
            raise ChannelSendError("SNS SMS: the phone number is not E.164 (+ then 8 to 15 digits)", retryable=False)
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            SMS_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": "Transactional"}
        }
        if self.sender_id:
            attributes[SENDER_ID_ATTRIBUTE] = {"DataType": "String", "StringValue": self.sender_id}
        try:
            response = self.client.publish(PhoneNumber=phone_number, Message=text, MessageAttributes=attributes)
        except (ClientError, BotoCoreError) as exc:
            raise channel_send_error(exc, "SNS SMS publish", RETRYABLE_SNS_ERRORS) from exc
        return response["MessageId"]
