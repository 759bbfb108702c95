"""Deleting a user's data on request (DELETE /v1/users/{user_id}/data)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from tripwire.api.auth import requires
from tripwire.api.deps import RuntimeDep
from tripwire.api.routes.flags import caller
from tripwire.ingest.retention import delete_user

router = APIRouter(tags=["data"])


@router.delete("/v1/users/{user_id}/data", dependencies=[requires("admin")])
async def delete_user_data(
    user_id: Annotated[str, Path(min_length=1, max_length=256)],
    request: Request,
    runtime: RuntimeDep,
) -> dict[str, Any]:
    """Delete the user's stored outputs and feedback (and the checks and scores of those
    outputs, outputs still held for their GenAI content, and that content); the deletion is
    audited with the token's name. Any `user_id` an event may carry (1 to 256 characters,
    blank ones too) can be deleted."""
    who = caller(request, runtime)
    gone = await run_in_threadpool(delete_user, runtime.db, runtime.clock, user_id, who)
    return {
        "user_id": user_id,
        "events_deleted": gone.events + gone.held_outputs,
        "content_parts_deleted": gone.content_parts,
    }
