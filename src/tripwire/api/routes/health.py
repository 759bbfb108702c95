"""Liveness and what is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from tripwire.api.auth import public, requires
from tripwire.api.deps import RuntimeDep
from tripwire.store.events import counts_by_type

router = APIRouter(tags=["operations"])


@router.get("/healthz", dependencies=[public()])
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/v1/stats", dependencies=[requires("read")])
def stats(runtime: RuntimeDep) -> dict[str, Any]:
    """How many events of each type are stored, and how many incidents."""
    with runtime.db.session() as session:
        events = counts_by_type(session)
    return {"events": events, "incidents": {"open": 0}}
