"""A small shop API reporting to vigil: every request through VigilMiddleware, and a business metric by hand.

Run it against `vigil local up` (see README.md):

    VIGIL_URL=http://127.0.0.1:8080 VIGIL_API_KEY=... uvicorn app:create_app --factory --port 8000
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException

from vigil_client import Client, VigilMiddleware

SERVICE = "example-shop"
ITEMS = {1: "keyboard", 2: "mouse", 3: "monitor"}


def create_app(client: Client | None = None) -> FastAPI:
    """The app, reporting to `client`; without one, to VIGIL_URL with VIGIL_API_KEY, closed when the app stops."""
    vigil = client if client is not None else Client.from_env(default_labels={"service": SERVICE})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if client is None:
            vigil.close()  # sends what is still buffered; a client passed in belongs to the caller

    app = FastAPI(title="vigil example shop", lifespan=lifespan)
    app.add_middleware(VigilMiddleware, client=vigil)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int | str]:
        name = ITEMS.get(item_id)
        if name is None:
            raise HTTPException(status_code=404, detail=f"no item {item_id}")
        # A business metric next to the middleware's: the label takes a few known values, never an id.
        vigil.counter("shop.item_views", labels={"item": name})
        return {"id": item_id, "name": name}

    @app.get("/checkout")
    async def checkout() -> dict[str, str]:
        raise RuntimeError("the payment provider is unreachable")  # recorded as a 500 on /checkout

    return app
