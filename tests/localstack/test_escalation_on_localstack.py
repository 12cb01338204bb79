"""The escalation scenarios of the moto suite against LocalStack: the escalation state machine deployed by
LocalStack's CloudFormation and executed by LocalStack's Step Functions (its own DynamoDB and SNS integrations),
the escalator and the Slack notifier run by the local runtime against it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_local_cloud_escalation import *  # noqa: F403 - the same scenarios, another backend
from tests.localstack.conftest import deployed_through_cloudformation

pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")  # type: ignore[no-redef]  # overrides the scenarios' moto backend
def backend(localstack_endpoint: str) -> Iterator[dict[str, Any]]:
    with deployed_through_cloudformation(localstack_endpoint, prefix="VigilEscalate") as options:
        yield options


@pytest.fixture(scope="module")  # type: ignore[no-redef]
def early_wake_s() -> float:
    """LocalStack's Wait drops the timestamp's fraction and truncates the wait to whole seconds."""
    return 2.0
