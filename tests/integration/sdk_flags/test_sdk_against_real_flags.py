"""The SDK's flags against the real `/v1/flags` (not a fake): a kill switch flipped through the
API reaches a polling client, and the client keeps the last-known value when the server goes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import tripwire
from tests.live import LiveServer, running
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveServer, str, str]]:
    runtime = Runtime.open(
        Settings(database_url=f"sqlite:///{tmp_path / 'f.db'}", workers=False), TripwireConfig()
    )
    with runtime.db.session() as session:
        _, admin = create_token(session, "ops", ["admin"], runtime.clock.now())
        _, ingest = create_token(session, "product", ["ingest"], runtime.clock.now())
    with running(runtime) as live:
        yield live, admin, ingest


def test_a_kill_switch_reaches_the_product_and_survives_an_outage(
    server: tuple[LiveServer, str, str], tmp_path: Path
) -> None:
    live, admin, ingest = server
    url = live.url
    flag = {
        "key": "chat-enabled",
        "type": "boolean",
        "value": True,
        "default": True,
        "use_case": "chat",
    }
    r = httpx.put(
        f"{url}/v1/flags/chat-enabled", json=flag, headers={"Authorization": f"Bearer {admin}"}
    )
    assert r.status_code == 200, r.text
    client = tripwire.Client(
        url, ingest, flags_poll_interval=0.5, flags_cache_path=tmp_path / "flags.json"
    )
    try:
        assert client.flags.wait_until_ready(10)
        assert client.flags.is_enabled("chat-enabled", False, use_case="chat") is True
        flipped_at = time.monotonic()
        r = httpx.put(
            f"{url}/v1/flags/chat-enabled",
            json={**flag, "value": False, "reason": "jailbreak spreading"},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert r.status_code == 200, r.text
        while client.flags.is_enabled("chat-enabled", True, use_case="chat"):
            assert time.monotonic() - flipped_at < 0.5 + 2, "the flip arrives within poll + 2 s"
            time.sleep(0.05)
        live.stop()  # the server goes away: the client keeps the last-known value
        time.sleep(1.5)
        assert client.flags.is_enabled("chat-enabled", True, use_case="chat") is False
    finally:
        client.close()
