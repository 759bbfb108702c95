"""The UI in a real browser: sign in, see the overview, sign out; no CSP violations."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Live

pytestmark = pytest.mark.browser


def test_a_person_signs_in_and_out(live: Live, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.goto(live.url + "/ui")
    assert page.url.endswith("/ui/login?next=/ui")
    page.fill("input[name=token]", live.admin)
    page.click("button[type=submit]")
    page.wait_for_url(live.url + "/ui")
    assert page.locator("h1").inner_text() == "Overview"
    page.click("text=Sign out")
    page.wait_for_url(live.url + "/ui/login")
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
