"""A responder acknowledges an incident in a real browser; htmx swaps the page in place."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import Live

pytestmark = pytest.mark.browser


def test_a_responder_acknowledges_from_the_ui(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {live.admin}"}
    body = {"type": "safety", "title": "Jailbreak <b>spreading</b>", "use_case": "chat"}
    ident = httpx.post(f"{live.url}/v1/incidents", json=body, headers=headers).json()["id"]
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live.url}/ui/login?next=/ui/incidents/{ident}")
    page.fill("input[name=token]", live.admin)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/ui/incidents/{ident}")
    assert "Jailbreak <b>spreading</b>" in page.locator("h1").inner_text()
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("#status:has-text('acknowledged')")
    assert page.url == f"{live.url}/ui/incidents/{ident}"
    got = httpx.get(f"{live.url}/v1/incidents/{ident}", headers=headers).json()
    assert got["status"] == "acknowledged"
    assert not [e for e in errors if "Content Security Policy" in e], errors
