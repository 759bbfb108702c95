"""A runtime with people, schedules, an escalation policy and channels configured."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import T0, Cast
from tripwire.api.app import create_app
from tripwire.config.file import TripwireConfig, parse_config
from tripwire.config.settings import Settings
from tripwire.domain.alerts import Alert
from tripwire.domain.clock import ManualClock
from tripwire.pipeline.stage import StageContext
from tripwire.respond.stage import RespondStage
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # 24 bytes base64


def respond_config(url: str = "http://127.0.0.1:9/hook", **extra: Any) -> dict[str, Any]:
    return {
        "respond": {
            "people": {
                "alice": {"email": "alice@example.org", "notify": ["hook"]},
                "bob": {"email": "bob@example.org", "notify": ["hook"]},
                "sam": {"notify": ["hook"]},
            },
            "schedules": {
                "primary": {"rotations": [{"members": ["alice"], "start": "2026-01-05"}]},
                "secondary": {"rotations": [{"members": ["bob"], "start": "2026-01-05"}]},
                "safety": {"rotations": [{"members": ["sam"], "start": "2026-01-05"}]},
            },
            "escalation_policies": {
                "default": {
                    "levels": [
                        {"targets": ["schedule:primary"], "timeout": "5m"},
                        {"targets": ["schedule:secondary"], "timeout": "5m"},
                    ]
                }
            },
            "roles": {
                "incident_commander": {"schedule": "primary"},
                "engineering_lead": {"schedule": "secondary"},
                "safety_lead": {"schedule": "safety", "types": ["safety"], "page_at_open": True},
            },
            "channels": {"hook": {"type": "webhook", "url": url, "secret": SECRET}},
            "broadcast": [],
            **extra,
        }
    }


def make_runtime(db_url: str, clock: ManualClock, config: TripwireConfig) -> Runtime:
    settings = Settings(
        database_url=db_url,
        workers=False,
        allow_private_webhooks=True,
        secret_key="test-secret-key-0123456789",  # type: ignore[arg-type]
        public_url="http://tripwire.test",
    )
    return Runtime.open(settings, config, clock)


@pytest.fixture
def rt(db_url: str, clock: ManualClock) -> Iterator[Runtime]:
    runtime = make_runtime(db_url, clock, parse_config(respond_config()))
    yield runtime
    runtime.close()


@pytest.fixture
def api(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, background=False)) as test_client:
        yield test_client


@pytest.fixture
def crew(rt: Runtime) -> Cast:
    with rt.db.session() as session:
        secrets = {
            scope: create_token(session, scope, [scope], rt.clock.now())[1]  # type: ignore[list-item]
            for scope in ("ingest", "read", "respond", "admin")
        }
    return Cast(revoked="tw_revoked", **secrets)


def alert(
    key: str = "neg-feedback:support-chat",
    *,
    state: str = "firing",
    type_: str = "quality_regression",
    use_case: str | None = "support-chat",
    at_minutes: float = 0,
    magnitude: float = 0.6,
) -> Alert:
    at = T0 + timedelta(minutes=at_minutes)
    return Alert(
        dedup_key=key,
        state=state,  # type: ignore[arg-type]
        incident_type=type_,  # type: ignore[arg-type]
        use_case=use_case,
        monitor=key.split(":")[0],
        metric="negative_feedback_rate",
        started_at=at - timedelta(minutes=20),
        detected_at=at,
        baseline=0.1,
        observed=0.1 * (1 + magnitude),
        magnitude=magnitude,
    )


def feed(rt: Runtime, *alerts: Alert, tick: bool = False) -> None:
    """Run the respond stage as the pipeline does, with `alerts` raised by detect."""
    stage = RespondStage(rt.incidents)
    with rt.db.session() as session:
        ctx = StageContext(session, rt.clock, rt.config, rt.settings)
        ctx.alerts.extend(alerts)
        stage.handle(ctx, [])
        if tick:
            stage.tick(ctx)


def tick(rt: Runtime) -> None:
    feed(rt, tick=True)
