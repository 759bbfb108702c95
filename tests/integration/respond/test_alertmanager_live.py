"""A real Prometheus Alertmanager delivers to Tripwire: an incident opens, then resolves."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import free_port, live_server
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import SystemClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token

BINARY = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"

pytestmark = pytest.mark.skipif(
    not Path(BINARY).exists(), reason="needs Debian's prometheus-alertmanager (.ci/run installs it)"
)

CONFIG = """
global:
  resolve_timeout: 5s
route:
  receiver: tripwire
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: tripwire
    webhook_configs:
      - url: {url}/v1/alerts/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


@pytest.fixture
def tripwire(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'tw.db'}", workers=False)
    runtime = Runtime.open(settings, TripwireConfig(), SystemClock())
    with runtime.db.session() as session:
        ingest = create_token(session, "alertmanager", ["ingest"], runtime.clock.now())[1]
        read = create_token(session, "test", ["read"], runtime.clock.now())[1]
    with live_server(runtime) as url:
        yield url, ingest, read


@pytest.fixture
def alertmanager(tmp_path: Path, tripwire: tuple[str, str, str]) -> Iterator[str]:
    url, ingest, _ = tripwire
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=url, token=ingest), encoding="utf-8")
    port = free_port()
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            BINARY,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base), 30, "Alertmanager did not become ready")
        yield base
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/-/ready", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_for(check: Callable[[], Any], seconds: float, message: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(message)


def _z(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def test_alertmanager_opens_and_resolves_an_incident(
    tripwire: tuple[str, str, str], alertmanager: str
) -> None:
    url, _, read = tripwire
    now = datetime.now(UTC)
    alert = {
        "labels": {"alertname": "ChatLatencyHigh", "use_case": "support-chat", "severity": "page"},
        "annotations": {"summary": "support-chat p95 latency above 4 s"},
        "startsAt": _z(now - timedelta(minutes=2)),
        "endsAt": _z(now + timedelta(hours=1)),
        "generatorURL": "http://prometheus.test/graph",
    }
    r = httpx.post(f"{alertmanager}/api/v2/alerts", json=[alert], timeout=5)
    assert r.status_code == 200, r.text

    def incidents() -> list[dict[str, Any]]:
        body = httpx.get(f"{url}/v1/incidents", headers={"Authorization": f"Bearer {read}"})
        return body.json()["incidents"]  # type: ignore[no-any-return]

    [incident] = wait_for(incidents, 30, "no incident opened from Alertmanager's webhook")
    assert incident["type"] == "availability"
    assert incident["use_case"] == "support-chat"
    assert incident["title"] == "support-chat p95 latency above 4 s"
    assert incident["signals"][0]["source"] == "alertmanager"

    alert["endsAt"] = _z(datetime.now(UTC) - timedelta(seconds=1))
    r = httpx.post(f"{alertmanager}/api/v2/alerts", json=[alert], timeout=5)
    assert r.status_code == 200
    wait_for(lambda: incidents()[0]["status"] == "resolved", 30, "the incident did not resolve")
    assert len(incidents()) == 1
