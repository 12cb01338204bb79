"""The notification scenarios of the moto suite against LocalStack: the alerts topic's filter policies routing
to the channel queues, the notifiers posting to Slack, PagerDuty and webhook stand-ins on 127.0.0.1,
acknowledgements, retries into the dead-letter queue and a redrive, on a stack deployed by LocalStack's
CloudFormation. Email and SMS stay with moto: LocalStack's community edition has no SES v2."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_local_cloud_notifications import *  # noqa: F403 - the same scenarios, another backend
from tests.localstack.conftest import deployed_through_cloudformation

pytestmark = pytest.mark.localstack

del test_an_error_is_emailed_through_ses_and_texted_through_sns  # noqa: F821 - moto's SES and SNS only


@pytest.fixture(scope="module")  # type: ignore[no-redef]  # overrides the scenarios' moto backend
def backend(localstack_endpoint: str) -> Iterator[dict[str, Any]]:
    """The notification scenarios' stack deployed through LocalStack's CloudFormation instead of onto moto."""
    with deployed_through_cloudformation(localstack_endpoint, prefix="VigilNotify") as options:
        yield options


@pytest.fixture(scope="module")  # type: ignore[no-redef]
def mail_and_sms() -> bool:
    return False
