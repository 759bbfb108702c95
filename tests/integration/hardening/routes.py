"""The routes the hardening tests walk, read from the app itself so a new route is covered the
day it is added: every JSON body route of the OpenAPI document, every state-changing page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, cast

from fastapi.routing import APIRoute

from tripwire.api.app import create_app
from tripwire.api.limits import MAX_BODY_BYTES
from tripwire.api.routes.ofrep import MAX_OFREP_BODY
from tripwire.runtime.wiring import Runtime

_APP = create_app(cast(Runtime, None), background=False)
_PARAM = re.compile(r"\{[^}]+\}")
# The bodies the issue saw answered with a 500 when nested 10,000 deep.
ONCE_500 = {
    ("POST", "/v1/alerts/alertmanager"),
    ("POST", "/v1/alerts/pagerduty"),
    ("PUT", "/v1/flags/{key}"),
    ("POST", "/v1/flags/{key}/kill"),
    ("POST", "/v1/rollbacks/{rollback_id}/revert"),
    ("POST", "/ofrep/v1/evaluate/flags/{key}"),
    ("POST", "/ofrep/v1/evaluate/flags"),
    ("POST", "/v1/otlp/traces"),
}
INGEST = ("/v1/events", "/v1/otlp/")


def filled(path: str) -> str:
    """A concrete path: every parameter `1` (a string or an integer, whichever it is)."""
    return _PARAM.sub("1", path)


def json_body_routes() -> list[tuple[str, str]]:
    """(method, templated path) of every operation whose document takes a JSON body."""
    return sorted(
        (method.upper(), path)
        for path, item in _APP.openapi()["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    )


def body_limit(path: str, ingest_limit: int) -> int:
    """The most bytes the route reads: ingest its own (TRIPWIRE_MAX_BODY_BYTES), OFREP its
    own, every other route the middleware's."""
    if path.startswith(INGEST):
        return ingest_limit
    if path.startswith("/ofrep/"):
        return MAX_OFREP_BODY
    return MAX_BODY_BYTES


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, through included routers however FastAPI holds them."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _walk(nested.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def page_writes() -> list[str]:
    """Every state-changing page route (POST under /ui, the sign-in form aside)."""
    return sorted(
        {
            filled(path)
            for path, route in _walk(_APP.routes)
            if path.startswith("/ui/") and "POST" in route.methods and path != "/ui/login"
        }
    )
