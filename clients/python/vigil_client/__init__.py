"""vigil_client: push metrics to vigil from Python apps.

`Client` batches counters, gauges and histograms in the background; `VigilMiddleware` records every HTTP
request of an ASGI app (FastAPI, Starlette) as a request counter and a duration histogram.
"""

from vigil_client.asgi import VigilMiddleware
from vigil_client.client import Client, ClientStats

__all__ = ["Client", "ClientStats", "VigilMiddleware"]
