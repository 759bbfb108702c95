"""The public status page as Statuspage-compatible JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tripwire.api.auth import public
from tripwire.api.deps import RuntimeDep
from tripwire.communicate.page import status_summary

router = APIRouter(tags=["status page"])


@router.get("/status/summary.json", dependencies=[public()])
def summary(runtime: RuntimeDep) -> dict[str, Any]:
    """Components (use cases) with their status, and public incidents with their updates."""
    with runtime.db.session() as session:
        return status_summary(
            session,
            runtime.config.communicate.status_page,
            runtime.clock,
            runtime.settings.public_url,
        )
