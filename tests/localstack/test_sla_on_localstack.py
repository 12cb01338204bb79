"""The SLA scenarios of the moto suite, run unchanged against LocalStack: SLOs and metric SLOs, the report
API in three formats, who may read what, burn-rate pages and the monthly job writing to S3 and telling the
tenant, on a stack deployed by LocalStack's CloudFormation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.test_local_cloud_sla import *  # noqa: F403 - the same scenarios, another backend
from tests.localstack.conftest import deployed_through_cloudformation

pytestmark = pytest.mark.localstack


@pytest.fixture(scope="module")  # type: ignore[no-redef]  # overrides the scenarios' moto backend
def backend(localstack_endpoint: str) -> Iterator[dict[str, Any]]:
    """The SLA scenarios' stack deployed through LocalStack's CloudFormation instead of onto moto."""
    with deployed_through_cloudformation(localstack_endpoint, prefix="VigilSla") as options:
        yield options
