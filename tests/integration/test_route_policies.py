"""Every route declares who may call it, and the declaration is enforced (docs/api.md, scopes)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.conftest import Cast
from tripwire.api.app import create_app
from tripwire.api.auth import POLICY_ATTR
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.tokens import grants
from tripwire.runtime.wiring import Runtime

SCOPED = ("ingest", "read", "respond", "admin")


@dataclass(frozen=True)
class Found:
    """An API route as the app serves it: full path, methods and the policies it declares."""

    path: str
    methods: frozenset[str]
    policies: tuple[str, ...]

    @property
    def policy(self) -> str | None:
        return self.policies[0] if len(self.policies) == 1 else None


def walk(routes: Iterable[Any], prefix: str = "", deps: tuple[Any, ...] = ()) -> Iterator[Found]:
    """Every APIRoute, through included routers whether FastAPI copies or nests them."""
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            context = route.include_context
            yield from walk(nested.routes, prefix + context.prefix, (*deps, *context.dependencies))
        elif isinstance(route, APIRoute):
            # Both `dependencies=[...]` and a dependency taken as a parameter end up here.
            calls = [d.dependency for d in deps] + [d.call for d in route.dependant.dependencies]
            policies = tuple(getattr(c, POLICY_ATTR) for c in calls if hasattr(c, POLICY_ATTR))
            yield Found(prefix + route.path, frozenset(route.methods), policies)


def api_routes(app: FastAPI) -> list[Found]:
    return list(walk(app.routes))


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def calls(app: FastAPI) -> Iterator[tuple[str, str, str]]:
    """API calls only: browser pages (`page:` policies) are checked by their own test."""
    for route in api_routes(app):
        assert route.policy is not None
        if route.policy.startswith("page:"):
            continue
        for method in sorted(route.methods):
            yield method, concrete(route.path), route.policy


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    return create_app(runtime, background=False)


def test_every_route_declares_exactly_one_policy(app: FastAPI) -> None:
    routes = api_routes(app)
    assert len(routes) >= 4
    assert {"/healthz", "/v1/events", "/v1/otlp/traces", "/v1/stats"} <= {r.path for r in routes}
    undeclared = [f"{sorted(r.methods)} {r.path}" for r in routes if r.policy is None]
    assert undeclared == [], "routes without requires(...) or public(): " + ", ".join(undeclared)
    scopes = {part for r in routes if r.policy for part in r.policy.split("|")}
    assert scopes <= {*SCOPED, "public", *(f"page:{s}" for s in SCOPED)}


def test_the_walk_catches_a_route_added_without_a_policy(app: FastAPI) -> None:
    @app.get("/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    router = APIRouter()

    @router.post("/v1/also-forgotten")
    def also() -> dict[str, str]:
        return {}

    app.include_router(router, prefix="/nested")
    missing = [r.path for r in api_routes(app) if r.policy is None]
    assert missing == ["/v1/forgotten", "/nested/v1/also-forgotten"]


def test_public_routes_need_no_token(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        for method, path, policy in calls(app):
            if policy == "public" and method == "GET":
                assert client.request(method, path).status_code not in (401, 403), path


def test_every_scoped_route_refuses_missing_unknown_and_revoked_tokens(
    app: FastAPI, cast: Cast
) -> None:
    attempts = {
        "missing": {},
        "unknown": {"Authorization": "Bearer tw_not-a-token"},
        "revoked": cast.auth("revoked"),
        "not bearer": {"Authorization": f"Basic {cast.admin}"},
    }
    with TestClient(app) as client:
        for method, path, policy in calls(app):
            if policy == "public":
                continue
            for what, headers in attempts.items():
                r = client.request(method, path, headers=headers)
                assert r.status_code == 401, (method, path, what, r.status_code)
                assert r.json()["error"], (method, path, what)
                assert r.headers["WWW-Authenticate"] == "Bearer"


def test_every_scoped_route_refuses_a_token_with_another_scope(app: FastAPI, cast: Cast) -> None:
    with TestClient(app) as client:
        for method, path, policy in calls(app):
            if policy == "public":
                continue
            accepted = policy.split("|")
            for other in SCOPED:
                if any(grants(frozenset({other}), a) for a in accepted):  # admin; respond: read
                    continue
                r = client.request(method, path, headers=cast.auth(other))
                assert r.status_code == 403, (method, path, other, r.status_code)
                assert all(f"`{a}`" in r.json()["error"] for a in accepted)


def test_the_right_scope_and_admin_get_past_auth(app: FastAPI, cast: Cast) -> None:
    with TestClient(app) as client:
        for method, path, policy in calls(app):
            if policy == "public":
                continue
            for who in (*policy.split("|"), "admin"):
                r = client.request(method, path, headers=cast.auth(who))
                assert r.status_code not in (401, 403), (method, path, who, r.text)


def test_the_environment_admin_token_is_accepted(db_url: str) -> None:
    settings = Settings(database_url=db_url, workers=False, admin_token="tw_from-env-1234")
    runtime = Runtime.open(settings, TripwireConfig())
    try:
        with TestClient(create_app(runtime, background=False)) as client:
            ok = client.get("/v1/stats", headers={"Authorization": "Bearer tw_from-env-1234"})
            assert ok.status_code == 200
            bad = client.get("/v1/stats", headers={"Authorization": "Bearer tw_from-env-12345"})
            assert bad.status_code == 401
    finally:
        runtime.close()


def test_the_ingest_routes_need_ingest_and_stats_needs_read(app: FastAPI) -> None:
    policies = {r.path: r.policy for r in api_routes(app)}
    assert policies["/v1/events"] == "ingest"
    assert policies["/v1/otlp/traces"] == "ingest"
    assert policies["/v1/stats"] == "read"
    assert policies["/healthz"] == "public"


def test_every_page_sends_a_stranger_to_sign_in(app: FastAPI, cast: Cast) -> None:
    pages = [r for r in api_routes(app) if r.policy and r.policy.startswith("page:")]
    assert pages, "the web UI declares page policies"
    with TestClient(app) as client:
        for route in pages:
            for method in sorted(route.methods):
                path = concrete(route.path)
                r = client.request(method, path, headers=cast.auth("admin"), follow_redirects=False)
                # A bearer token is not a browser session: pages only trust their cookie.
                assert r.status_code == 303, (method, path, r.status_code)
                assert r.headers["location"].startswith("/ui/login"), (method, path)
