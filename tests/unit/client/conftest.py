from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.unit.client.ingest_server import API_KEY, IngestServer
from vigil_client import Client

ClientFactory = Callable[..., Client]


@pytest.fixture
def ingest() -> Iterator[IngestServer]:
    with IngestServer() as server:
        yield server


@pytest.fixture
def make_client(ingest: IngestServer) -> Iterator[ClientFactory]:
    """Clients for the ingest stand-in with waits in milliseconds; each is closed after the test."""
    made: list[Client] = []

    def make(url: str | None = None, **options: Any) -> Client:
        settings: dict[str, Any] = {
            "flush_interval": 60.0,  # tests that want interval flushes say so
            "backoff_base": 0.01,
            "backoff_max": 0.05,
            "flush_at_exit": False,
            "request_timeout": 5.0,
        }
        settings.update(options)
        client = Client(url or ingest.url, API_KEY, **settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close(timeout=2.0)
