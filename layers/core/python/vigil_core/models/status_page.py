"""A tenant's status page settings: what the page is called, which monitors it shows, and whether anyone may read
its public variant without a key."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from vigil_core.models.monitors import MONITOR_ID_PATTERN

MAX_STATUS_PAGE_MONITORS = 200


class StatusPageSettings(BaseModel):
    """Off by default: a tenant's status page is private until the tenant switches its public variant on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    public: bool = False
    title: str = Field(default="", max_length=120)
    description: str = Field(default="", max_length=1000)
    # The monitors shown, in this order; None shows every monitor of the tenant (by name).
    monitors: tuple[Annotated[str, Field(pattern=MONITOR_ID_PATTERN)], ...] | None = Field(
        default=None, max_length=MAX_STATUS_PAGE_MONITORS
    )
    updated_at: AwareDatetime | None = None
