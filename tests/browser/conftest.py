"""A live server and headless Chromium (Debian's, never a downloaded build)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live import live_server
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Live:
    url: str
    runtime: Runtime
    admin: str


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'live.db'}", workers=False)
    runtime = Runtime.open(settings, TripwireConfig())
    with runtime.db.session() as session:
        _, admin = create_token(session, "browser", ["admin"], runtime.clock.now())
    with live_server(runtime) as url:
        yield Live(url, runtime, admin)


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI needs Debian's chromium for the browser tests (apt-get install chromium)"
            )
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()
