"""Refresh the screenshots in docs/img from the demo (not a test: run it by hand).

    PYTHONPATH=src:. python -m tests.browser.docs_screenshots [--out docs/img]

Runs `tripwire demo`'s simulation, serves it at its event time, signs in and saves one
viewport-sized PNG per page; compress them with `pngquant` before committing.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.live import live_server
from tripwire.demo.tour import run_demo
from tripwire.store.tokens import create_token

END = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PAGES = (
    ("overview", "/ui"),
    ("incidents", "/ui/incidents?status=all"),
    ("incident", "/ui/incidents/INC-1"),
    ("monitor", "/ui/monitors/negative-feedback?use_case=support-chat&range=3d"),
    ("versions", "/ui/monitors/negative-feedback/versions?use_case=support-chat&range=3d"),
    ("outputs", "/ui/outputs?use_case=support-chat&prompt_version=v2"),
    ("flags", "/ui/flags/support-chat-enabled"),
    ("oncall", "/ui/oncall"),
    ("postmortem", "/ui/postmortems/INC-1"),
    ("status-page", "/ui/status-page"),
    ("readiness", "/ui/readiness"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        result = run_demo(Path(tmp) / "demo.db", END)
        with result.runtime.db.session() as session:
            _, token = create_token(session, "ana", ["admin"], END)
        with live_server(result.runtime) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 760})
            page.goto(f"{url}/ui/login")
            page.fill("input[name=token]", token)
            page.click("button[type=submit]")
            for name, path in PAGES:
                page.goto(url + path)
                page.screenshot(path=str(args.out / f"{name}.png"))
            browser.close()
        result.runtime.close()


if __name__ == "__main__":
    main()
