"""Email (SES v2), SMS (SNS) and channel secrets (Secrets Manager, SSM) on moto in-process.

What moto does not do (throttling, outages, an opted-out number) is answered by botocore's Stubber in the same
process; a network failure is a connection to a refused port on 127.0.0.1.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from tests.servers.background import refused_port
from vigil_core.adapters.secrets import CachedSecretReader
from vigil_core.adapters.ses_email import SesEmailSender
from vigil_core.adapters.sns_sms import SnsSmsSender
from vigil_core.models.alerts import Severity
from vigil_core.models.notifications import PARAMETERS_PREFIX, SECRET_REFERENCE_PATTERN, SECRETS_PREFIX, parse_reference
from vigil_core.notify.email import EmailContent, email_message
from vigil_core.notify.messages import MessageFields
from vigil_core.ports import ChannelSendError, SecretUnavailableError

pytestmark = pytest.mark.integration
REGION = "us-east-1"
SENDER = "alerts@vigil.example.com"
SECRET_VALUE = "https://hooks.slack.com/services/T000/B000/s3cr3t-v4lue"
ONE_ATTEMPT = Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1, read_timeout=1)


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def aws(credentials: None) -> Iterator[None]:
    with mock_aws():
        yield


def client(service: str, config: Config | None = None) -> Any:
    return boto3.client(service, region_name=REGION, config=config)  # type: ignore[call-overload]


def calls(aws_client: Any) -> list[str]:
    """The operations the client sends from now on, counted before moto (or AWS) sees them."""
    seen: list[str] = []
    service = aws_client.meta.service_model.service_id.hyphenize()
    aws_client.meta.events.register(f"before-call.{service}", lambda model, **_: seen.append(model.name))
    return seen


def client_error(aws_client: Any, operation: str, code: str, status: int) -> Any:
    """The client answers the next call with this error, in-process, without a request."""
    stubber = Stubber(aws_client)
    stubber.add_client_error(
        operation, service_error_code=code, service_message=f"{code} says no", http_status_code=status
    )
    stubber.activate()
    return aws_client


# --- email --------------------------------------------------------------------------------------------------


def alert_email() -> EmailContent:
    fields = MessageFields(
        tenant="acme",
        severity=Severity.CRITICAL,
        status="firing",
        title="High latency",
        summary="p95 latency <above> 100 ms",
        alert_count=1,
        fingerprint="fp-1",
        notification_id="g1:1",
        at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
    )
    return email_message(fields)


def test_an_email_from_a_verified_sender_is_sent_with_its_subject_text_and_html(aws: None) -> None:
    # Given a verified sender identity and a sender using a configuration set
    sesv2 = client("sesv2")
    sesv2.create_email_identity(EmailIdentity=SENDER)
    sent_requests: list[dict[str, Any]] = []
    sesv2.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: sent_requests.append(params)
    )
    email = alert_email()

    # When an alert email is sent to two recipients
    message_id = SesEmailSender(configuration_set="vigil-notify", client=sesv2).send(
        SENDER, ["oncall@example.com", "lead@example.com"], email.subject, email.text, email.html
    )

    # Then SES took it: moto holds one message from the sender to both, with the subject and the HTML body
    [sent] = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert sent.id == message_id
    assert sent.source == SENDER
    assert sent.destinations == {"ToAddresses": ["oncall@example.com", "lead@example.com"]}
    assert sent.subject == "[FIRING] High latency (critical, acme)"
    assert sent.body == email.html
    assert "p95 latency &lt;above&gt; 100 ms" in sent.body
    # And the request carried both parts in UTF-8 and the configuration set (moto keeps only the HTML part)
    [request] = sent_requests
    body = request["Content"]["Simple"]["Body"]
    assert body["Text"] == {"Data": email.text, "Charset": "UTF-8"}
    assert body["Html"] == {"Data": email.html, "Charset": "UTF-8"}
    assert request["Content"]["Simple"]["Subject"]["Charset"] == "UTF-8"
    assert request["ConfigurationSetName"] == "vigil-notify"


def test_a_sender_from_a_verified_domain_may_send(aws: None) -> None:
    # Given a verified domain rather than an address
    sesv2 = client("sesv2")
    sesv2.create_email_identity(EmailIdentity="vigil.example.com")

    # When any address of the domain sends, named with a display name
    SesEmailSender(client=sesv2).send("Vigil <noreply@vigil.example.com>", ["oncall@example.com"], "s", "t", "<p>h</p>")

    # Then it is sent, without a configuration set
    [sent] = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert sent.source == "Vigil <noreply@vigil.example.com>"


def test_an_unverified_sender_is_refused_for_good(aws: None) -> None:
    # Given no verified identity at all
    sender = SesEmailSender(client=client("sesv2"))

    # When an email is sent
    with pytest.raises(ChannelSendError) as refused:
        sender.send("nobody@unverified.example.com", ["oncall@example.com"], "s", "t", "<p>h</p>")

    # Then it is refused as not worth retrying, naming SES's error, and nothing was sent
    assert refused.value.retryable is False
    assert "MessageRejected" in str(refused.value)
    assert "not verified" in str(refused.value)
    assert ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages == []


def test_an_email_without_recipients_or_with_too_many_is_refused_before_any_call(aws: None) -> None:
    # Given a verified sender
    sesv2 = client("sesv2")
    sesv2.create_email_identity(EmailIdentity=SENDER)
    made = calls(sesv2)
    sender = SesEmailSender(client=sesv2)

    # When an email is sent to nobody, then to 51 addresses
    with pytest.raises(ChannelSendError) as nobody:
        sender.send(SENDER, [], "s", "t", "h")
    with pytest.raises(ChannelSendError) as crowd:
        sender.send(SENDER, [f"u{n}@example.com" for n in range(51)], "s", "t", "h")

    # Then both are refused for good without asking SES
    assert (nobody.value.retryable, crowd.value.retryable) == (False, False)
    assert "no recipients" in str(nobody.value)
    assert "at most 50" in str(crowd.value)
    assert made == []


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("TooManyRequestsException", 429, True),
        ("LimitExceededException", 400, True),
        ("Throttling", 400, True),
        ("ServiceUnavailable", 503, True),
        ("InternalFailure", 500, True),
        ("SomethingNewOnTheServer", 502, True),
        ("MessageRejected", 400, False),
        ("MailFromDomainNotVerifiedException", 400, False),
        ("BadRequestException", 400, False),
        ("AccountSuspendedException", 400, False),
        ("SendingPausedException", 400, False),
        ("NotFoundException", 404, False),
        ("SomethingNew", 400, False),
    ],
)
def test_ses_errors_say_whether_a_retry_may_help(aws: None, code: str, status: int, retryable: bool) -> None:
    # Given SES answering with an error
    sesv2 = client_error(client("sesv2"), "send_email", code, status)

    # When an email is sent
    with pytest.raises(ChannelSendError) as failed:
        SesEmailSender(client=sesv2).send(SENDER, ["oncall@example.com"], "s", "t", "h")

    # Then the error is retryable only for throttling and outages, and names SES's code and message
    assert failed.value.retryable is retryable
    assert str(failed.value) == f"SES send_email refused: {code}: {code} says no"


def test_ses_out_of_reach_is_retryable_and_names_no_credentials(credentials: None) -> None:
    # Given an SES endpoint that refuses connections
    with refused_port() as port:
        sesv2 = boto3.client("sesv2", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}", config=ONE_ATTEMPT)

        # When an email is sent
        with pytest.raises(ChannelSendError) as failed:
            SesEmailSender(client=sesv2).send(SENDER, ["oncall@example.com"], "s", "t", "h")

    # Then it may be retried, the message says why, and no credential appears in it
    assert failed.value.retryable is True
    assert "EndpointConnectionError" in str(failed.value)
    assert "testing" not in str(failed.value)


# --- SMS ----------------------------------------------------------------------------------------------------


def test_an_sms_is_published_to_the_number_as_a_transactional_message(aws: None) -> None:
    # Given an SMS sender with a sender ID
    sns = client("sns")
    published: list[dict[str, Any]] = []
    sns.meta.events.register("provide-client-params.sns.Publish", lambda params, **_: published.append(params))

    # When a text is sent to an E.164 number
    message_id = SnsSmsSender(sender_id="Vigil", client=sns).send("+447700900123", "[FIRING] critical acme: p95")

    # Then SNS holds that text for that number, under the id returned
    backend = sns_backends[DEFAULT_ACCOUNT_ID][REGION]
    assert backend.sms_messages == {message_id: ("+447700900123", "[FIRING] critical acme: p95")}
    # And it went out transactional, from the sender ID
    [request] = published
    assert request["MessageAttributes"] == {
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": "Vigil"},
    }


def test_without_a_sender_id_none_is_sent(aws: None) -> None:
    # Given an SMS sender without a sender ID
    sns = client("sns")
    published: list[dict[str, Any]] = []
    sns.meta.events.register("provide-client-params.sns.Publish", lambda params, **_: published.append(params))

    # When a text is sent
    SnsSmsSender(client=sns).send("+14155550100", "hello")

    # Then only the SMS type is set
    assert list(published[0]["MessageAttributes"]) == ["AWS.SNS.SMS.SMSType"]


@pytest.mark.parametrize(
    "number", ["07700900123", "+44 7700 900123", "+0447700900123", "+1234567", "+1234567890123456", "+14155550100\n"]
)
def test_a_number_that_is_not_e164_is_refused_without_any_call(aws: None, number: str) -> None:
    # Given an SMS sender
    sns = client("sns")
    made = calls(sns)

    # When a text is sent to a number that is not E.164
    with pytest.raises(ChannelSendError) as refused:
        SnsSmsSender(client=sns).send(number, "hello")

    # Then it is refused for good, SNS was never asked, and the number is not echoed into logs
    assert refused.value.retryable is False
    assert "E.164" in str(refused.value)
    assert number.strip() not in str(refused.value)
    assert made == []
    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages == {}


@pytest.mark.parametrize("sender_id", ["", "12345", "Vigil Alerts", "VigilAlerts12", "vigil-ops"])
def test_an_invalid_sender_id_is_refused_when_the_sender_is_made(sender_id: str) -> None:
    # Given a sender ID carriers would refuse
    # When an SMS sender is made with it
    # Then it fails at once, not on the first alert
    with pytest.raises(ValueError, match="sender ID"):
        SnsSmsSender(sender_id=sender_id)


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        ("Throttled", 429, True),
        ("InternalError", 500, True),
        ("KMSThrottling", 400, True),
        ("InvalidParameter", 400, False),
        ("OptedOut", 400, False),
        ("AuthorizationError", 403, False),
    ],
)
def test_sns_errors_say_whether_a_retry_may_help(aws: None, code: str, status: int, retryable: bool) -> None:
    # Given SNS answering with an error
    sns = client_error(client("sns"), "publish", code, status)

    # When a text is sent
    with pytest.raises(ChannelSendError) as failed:
        SnsSmsSender(client=sns).send("+14155550100", "hello")

    # Then only throttling and outages are retryable, and the error names SNS's code and message
    assert failed.value.retryable is retryable
    assert str(failed.value) == f"SNS SMS publish refused: {code}: {code} says no"


def test_sns_out_of_reach_is_retryable(credentials: None) -> None:
    # Given an SNS endpoint that refuses connections
    with refused_port() as port:
        sns = boto3.client("sns", region_name=REGION, endpoint_url=f"http://127.0.0.1:{port}", config=ONE_ATTEMPT)

        # When a text is sent
        with pytest.raises(ChannelSendError) as failed:
            SnsSmsSender(client=sns).send("+14155550100", "hello")

    # Then it may be retried later
    assert failed.value.retryable is True
    assert "EndpointConnectionError" in str(failed.value)


# --- secrets ------------------------------------------------------------------------------------------------


def test_a_secrets_manager_secret_is_read_by_name_and_by_arn(aws: None) -> None:
    # Given a secret under the notifier's prefix
    secrets = client("secretsmanager")
    arn = secrets.create_secret(Name="vigil/notify/slack", SecretString=SECRET_VALUE)["ARN"]
    reader = CachedSecretReader(secrets_client=secrets, ssm_client=client("ssm"))

    # When it is read by name and by ARN
    # Then both give its value
    assert reader.read("secretsmanager:vigil/notify/slack") == SECRET_VALUE
    assert reader.read(f"secretsmanager:{arn}") == SECRET_VALUE


def test_an_ssm_secure_string_is_read_decrypted(aws: None) -> None:
    # Given a SecureString parameter under the notifier's prefix
    ssm = client("ssm")
    ssm.put_parameter(Name="/vigil/notify/pagerduty", Value="routing-key-123", Type="SecureString")
    requests: list[dict[str, Any]] = []
    ssm.meta.events.register("provide-client-params.ssm.GetParameter", lambda params, **_: requests.append(params))
    reader = CachedSecretReader(secrets_client=client("secretsmanager"), ssm_client=ssm)

    # When it is read
    value = reader.read("ssm:/vigil/notify/pagerduty")

    # Then its plain value comes back, asked for once with decryption
    assert value == "routing-key-123"
    assert requests == [{"Name": "/vigil/notify/pagerduty", "WithDecryption": True}]


def test_a_binary_secret_that_is_utf8_text_is_read_as_text(aws: None) -> None:
    # Given a secret stored as binary UTF-8
    secrets = client("secretsmanager")
    secrets.create_secret(Name="vigil/notify/signing", SecretBinary="clé-secrète".encode())

    # When it is read
    # Then it comes back as text
    assert CachedSecretReader(secrets_client=secrets).read("secretsmanager:vigil/notify/signing") == "clé-secrète"


def test_a_value_read_within_max_age_is_served_from_the_cache(aws: None) -> None:
    # Given a secret and a parameter read once by a reader caching for five minutes
    secrets, ssm = client("secretsmanager"), client("ssm")
    secrets.create_secret(Name="vigil/notify/slack", SecretString="first")
    ssm.put_parameter(Name="/vigil/notify/webhook", Value="first", Type="SecureString")
    reader = CachedSecretReader(max_age_s=300, secrets_client=secrets, ssm_client=ssm)
    assert reader.read("secretsmanager:vigil/notify/slack") == "first"
    assert reader.read("ssm:/vigil/notify/webhook") == "first"
    secret_calls, parameter_calls = calls(secrets), calls(ssm)

    # When both are changed in AWS and read again, twice
    secrets.put_secret_value(SecretId="vigil/notify/slack", SecretString="second")
    ssm.put_parameter(Name="/vigil/notify/webhook", Value="second", Type="SecureString", Overwrite=True)
    secret_calls.clear()
    parameter_calls.clear()
    cached = [reader.read("secretsmanager:vigil/notify/slack"), reader.read("ssm:/vigil/notify/webhook")] * 2

    # Then the cached values come back without any call
    assert cached == ["first", "first"] * 2
    assert (secret_calls, parameter_calls) == ([], [])
    # And a reader that caches nothing sees the new values, asking every time
    fresh = CachedSecretReader(max_age_s=0, secrets_client=secrets, ssm_client=ssm)
    assert fresh.read("secretsmanager:vigil/notify/slack") == "second"
    assert fresh.read("secretsmanager:vigil/notify/slack") == "second"
    assert fresh.read("ssm:/vigil/notify/webhook") == "second"
    assert (secret_calls, parameter_calls) == (["GetSecretValue", "GetSecretValue"], ["GetParameter"])


def assert_value_nowhere(error: BaseException, caplog: pytest.LogCaptureFixture, *values: str) -> None:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None:
        chain.append(current)
        current = current.__cause__ or current.__context__
    texts = [str(exc) for exc in chain] + [repr(exc) for exc in chain] + [caplog.text]
    for value in values:
        assert not any(value in text for text in texts)


@pytest.mark.parametrize(
    ("reference", "code"),
    [
        ("secretsmanager:vigil/notify/missing", "ResourceNotFoundException"),
        ("ssm:/vigil/notify/missing", "ParameterNotFound"),
    ],
)
def test_a_missing_secret_is_unavailable_naming_the_reference_and_the_error_code(
    aws: None, caplog: pytest.LogCaptureFixture, reference: str, code: str
) -> None:
    # Given secrets that exist beside the missing one, read with logs captured
    caplog.set_level(logging.DEBUG, logger="vigil_core")
    caplog.set_level(logging.DEBUG, logger="aws_lambda_powertools")
    secrets, ssm = client("secretsmanager"), client("ssm")
    secrets.create_secret(Name="vigil/notify/slack", SecretString=SECRET_VALUE)
    ssm.put_parameter(Name="/vigil/notify/slack", Value=SECRET_VALUE, Type="SecureString")
    reader = CachedSecretReader(secrets_client=secrets, ssm_client=ssm)
    assert reader.read("secretsmanager:vigil/notify/slack") == SECRET_VALUE

    # When the missing one is read
    with pytest.raises(SecretUnavailableError) as unavailable:
        reader.read(reference)

    # Then the error names the reference and AWS's error code, and no value is in it or in the logs
    assert reference in str(unavailable.value)
    assert code in str(unavailable.value)
    assert_value_nowhere(unavailable.value, caplog, SECRET_VALUE)


def test_a_secret_marked_for_deletion_is_unavailable_without_its_value(
    aws: None, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a secret that holds a value but is scheduled for deletion
    caplog.set_level(logging.DEBUG, logger="vigil_core")
    caplog.set_level(logging.DEBUG, logger="aws_lambda_powertools")
    secrets = client("secretsmanager")
    secrets.create_secret(Name="vigil/notify/old", SecretString=SECRET_VALUE)
    secrets.delete_secret(SecretId="vigil/notify/old", RecoveryWindowInDays=7)

    # When it is read
    with pytest.raises(SecretUnavailableError) as unavailable:
        CachedSecretReader(secrets_client=secrets).read("secretsmanager:vigil/notify/old")

    # Then it is unavailable, saying why, and its value appears nowhere
    assert "secretsmanager:vigil/notify/old" in str(unavailable.value)
    assert "InvalidRequestException" in str(unavailable.value)
    assert_value_nowhere(unavailable.value, caplog, SECRET_VALUE)


def test_a_binary_secret_that_is_not_text_is_unavailable_without_its_bytes(aws: None) -> None:
    # Given a secret whose binary value is not UTF-8
    secrets = client("secretsmanager")
    secrets.create_secret(Name="vigil/notify/raw", SecretBinary=b"\xff\xfe-key")

    # When it is read
    with pytest.raises(SecretUnavailableError) as unavailable:
        CachedSecretReader(secrets_client=secrets).read("secretsmanager:vigil/notify/raw")

    # Then it is refused as not text, quoting none of its bytes
    assert "not UTF-8 text" in str(unavailable.value)
    assert "xff" not in str(unavailable.value) and "-key" not in str(unavailable.value)
    assert unavailable.value.__cause__ is None and unavailable.value.__suppress_context__


def test_a_failed_read_is_not_cached(aws: None) -> None:
    # Given a secret read before it exists
    secrets = client("secretsmanager")
    reader = CachedSecretReader(secrets_client=secrets)
    with pytest.raises(SecretUnavailableError):
        reader.read("secretsmanager:vigil/notify/late")

    # When it is created and read again
    secrets.create_secret(Name="vigil/notify/late", SecretString="now here")

    # Then the new value is read
    assert reader.read("secretsmanager:vigil/notify/late") == "now here"


def test_secrets_out_of_reach_are_unavailable_naming_the_network_error(credentials: None) -> None:
    # Given Secrets Manager and SSM endpoints that refuse connections
    with refused_port() as port:
        endpoint = f"http://127.0.0.1:{port}"
        reader = CachedSecretReader(
            secrets_client=boto3.client(
                "secretsmanager", region_name=REGION, endpoint_url=endpoint, config=ONE_ATTEMPT
            ),
            ssm_client=boto3.client("ssm", region_name=REGION, endpoint_url=endpoint, config=ONE_ATTEMPT),
        )

        # When a secret and a parameter are read
        # Then both are unavailable, naming the reference and the connection failure
        for reference in ("secretsmanager:vigil/notify/slack", "ssm:/vigil/notify/slack"):
            with pytest.raises(SecretUnavailableError, match=rf"{reference} .*EndpointConnectionError"):
                reader.read(reference)


@pytest.mark.parametrize(
    "reference",
    [
        "vault:vigil/notify/slack",
        "https://hooks.slack.com/services/T000/B000/s3cr3t-v4lue",
        "vigil/notify/slack",
        "SecretsManager:vigil/notify/slack",
        "",
    ],
)
def test_a_reference_to_an_unknown_store_is_refused_naming_the_accepted_forms(aws: None, reference: str) -> None:
    # Given a reader
    secrets = client("secretsmanager")
    made = calls(secrets)
    reader = CachedSecretReader(secrets_client=secrets)

    # When something that is not a reference is read
    with pytest.raises(ValueError, match=r"secretsmanager:vigil/notify/<name>.*ssm:/vigil/notify/<name>") as refused:
        reader.read(reference)

    # Then nothing is asked of AWS, and what was given (perhaps the secret itself, pasted) is not echoed
    assert made == []
    if reference:
        assert reference not in str(refused.value)


@pytest.mark.parametrize(
    ("reference", "prefix"),
    [
        ("secretsmanager:prod/db-password", "vigil/notify/"),
        ("secretsmanager:/vigil/notify/slack", "vigil/notify/"),
        ("secretsmanager:vigil/notify/", "vigil/notify/"),
        ("secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf", "vigil/notify/"),
        ("secretsmanager:vigil/notify/with space", "vigil/notify/"),
        ("ssm:vigil/notify/slack", "/vigil/notify/"),
        ("ssm:/other/param", "/vigil/notify/"),
        ("ssm:/vigil/notify/bad=char", "/vigil/notify/"),
    ],
)
def test_a_name_outside_the_notifiers_prefixes_is_refused(reference: str, prefix: str) -> None:
    # Given a reference to a store the notifier reads, naming something its IAM policy does not grant
    # When it is parsed
    # Then it is refused, saying which prefix names must have
    with pytest.raises(ValueError, match=f"must be {prefix}<name>"):
        parse_reference(reference)


def test_valid_references_parse_into_store_and_name_and_match_the_exported_pattern() -> None:
    # Given references by name, by ARN and by parameter name
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:vigil/notify/slack-AbCdEf"
    references = {
        f"secretsmanager:{SECRETS_PREFIX}team-a/slack_webhook+v2@ops": (
            "secretsmanager",
            "vigil/notify/team-a/slack_webhook+v2@ops",
        ),
        f"secretsmanager:{arn}": ("secretsmanager", arn),
        f"ssm:{PARAMETERS_PREFIX}team-a/pagerduty.key": ("ssm", "/vigil/notify/team-a/pagerduty.key"),
    }

    # When each is parsed
    # Then it gives the store and the name to ask it for, and the exported pattern accepts it
    for reference, parsed in references.items():
        assert parse_reference(reference) == parsed
        assert re.fullmatch(SECRET_REFERENCE_PATTERN, reference)


def test_a_negative_max_age_is_refused() -> None:
    # Given a negative max age
    # When a reader is made with it
    # Then it is refused
    with pytest.raises(ValueError, match="max_age_s"):
        CachedSecretReader(max_age_s=-1)
