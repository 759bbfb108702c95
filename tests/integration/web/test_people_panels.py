"""The incident page's human half: the affected users (counts, first rows, exports), messages
to them (draft, lint, approval by the communications lead, send, per-recipient delivery) and
stakeholder notifications, all through the UI's forms with their CSRF token."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.conftest import T0
from tests.integration.communicate.test_affected_users import (
    AFFECTED,
    open_incident,
    output,
    traffic,
)
from tests.integration.respond.conftest import make_runtime, respond_config
from tests.smtp_inbox import Inbox
from tripwire.api.app import create_app
from tripwire.config.file import parse_config
from tripwire.domain.clock import ManualClock
from tripwire.ingest.validate import parse_batch
from tripwire.ingest.writer import store_events
from tripwire.notify.worker import OutboxWorker
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token


@pytest.fixture
def rt(db_url: str, clock: ManualClock, smtp: tuple[Inbox, int]) -> Iterator[Runtime]:
    data = respond_config()
    data["respond"]["people"]["dee"] = {"email": "dee@example.org", "notify": ["hook"]}
    data["respond"]["people"]["lee"] = {"email": "lee@example.org", "notify": ["hook"]}
    data["respond"]["roles"]["communications_lead"] = {"person": "dee"}
    data["respond"]["stakeholders"] = {"legal": {"members": ["lee"]}}
    data["respond"]["channels"]["users"] = {
        "type": "email", "host": "127.0.0.1", "port": smtp[1], "security": "none",
        "from": "support@example.com",
    }  # fmt: skip
    data["communicate"] = {
        "user_messages": {"channel": "users", "address": "{user_id}@example.com"},
        "status_page": {"components": {"support-chat": {"name": "Support Chat"}}},
    }
    runtime = make_runtime(db_url, clock, parse_config(data))
    yield runtime
    runtime.close()


@pytest.fixture
def ui(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt, background=False)) as client:
        yield client


def sign_in(client: TestClient, rt: Runtime, name: str) -> str:
    with rt.db.session() as session:
        secret = create_token(session, name, ["respond"], rt.clock.now())[1]
    client.cookies.clear()
    r = client.post("/ui/login", data={"token": secret, "next": "/ui"}, follow_redirects=False)
    assert r.status_code == 303
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/ui").text)
    assert match
    return match.group(1)


def incident(rt: Runtime) -> str:
    """The safety incident of the API's affected-users tests, on their traffic."""
    traffic(rt)
    open_incident(rt)
    return "INC-1"


def test_the_page_shows_the_affected_users_and_exports_them(rt: Runtime, ui: TestClient) -> None:
    ident = incident(rt)
    sign_in(ui, rt, "ops")
    page = ui.get(f"/ui/incidents/{ident}").text
    assert f'hx-get="/ui/incidents/{ident}/affected-panel" hx-trigger="load"' in page
    assert f'href="/ui/incidents/{ident}/affected-users"' in page  # without JavaScript
    panel = ui.get(f"/ui/incidents/{ident}/affected-panel").text
    assert "<strong>4</strong> users received <strong>6</strong> affected outputs" in panel
    assert "(1 of them carry no user id)" in panel
    assert "prompt version p8" in panel
    for user in AFFECTED:
        assert f">{user}</a>" in panel
    assert ">gus</a>" not in panel
    assert ">oli</a>" not in panel
    exported = ui.get(f"/ui/incidents/{ident}/affected-users.csv")
    assert exported.headers["content-disposition"].endswith('INC-1-affected-users.csv"')
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["user_id"]: int(r["outputs"]) for r in rows} == AFFECTED
    whole = json.loads(ui.get(f"/ui/incidents/{ident}/affected-users.json").text)
    assert [u["user_id"] for u in whole["users"]] == sorted(AFFECTED)
    assert (whole["count"], whole["unattributed_outputs"]) == (4, 1)
    listing = ui.get(f"/ui/incidents/{ident}/affected-users?cursor=%%%")  # not ours: from the top
    assert listing.status_code == 200
    assert all(f">{u}</a>" in listing.text for u in AFFECTED)
    assert ui.get("/ui/incidents/INC-9/affected-users").status_code == 404
    assert ui.get("/ui/incidents/INC-9/affected-panel").status_code == 404
    assert ui.get("/ui/incidents/INC-9/affected-users.csv").status_code == 404


def test_a_message_is_drafted_approved_by_the_lead_and_delivered(
    rt: Runtime, ui: TestClient, smtp: tuple[Inbox, int], clock: ManualClock
) -> None:
    inbox, _ = smtp
    ident = incident(rt)
    csrf = sign_in(ui, rt, "ops")
    base = f"/ui/incidents/{ident}/messages"
    r = ui.post(base, data={"csrf": csrf, "kind": "resolution"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].endswith("#messages")
    page = ui.get(f"/ui/incidents/{ident}").text
    assert "Lint: 1 finding" in page
    assert "[say what you changed]" in page
    [message_id] = set(re.findall(rf"{base}/(\d+)/edit", page))
    url = f"{base}/{message_id}"
    refused = ui.post(url + "/approve", data={"csrf": csrf}, headers={"hx-request": "true"})
    assert refused.status_code == 409
    assert "communications lead (dee)" in refused.text
    subject = re.search(r'name="subject" value="([^"]*)"', page)
    text = re.search(r'<textarea name="text"[^>]*>([^<]*)</textarea>', page)
    assert subject
    assert text
    fixed = html.unescape(text.group(1)).replace(
        "[say what you changed]", "checking every answer twice"
    )
    form = {"csrf": csrf, "subject": html.unescape(subject.group(1)), "text": fixed}
    saved = ui.post(url + "/edit", data=form, headers={"hx-request": "true"})
    assert saved.status_code == 200
    assert "Lint: no finding." in saved.text
    csrf = sign_in(ui, rt, "dee")
    approved = ui.post(url + "/approve", data={"csrf": csrf}, headers={"hx-request": "true"})
    assert approved.status_code == 200
    assert "approved by dee" in approved.text
    unconfirmed = ui.post(url + "/send", data={"csrf": csrf}, headers={"hx-request": "true"})
    assert unconfirmed.status_code == 422
    sent = ui.post(url + "/send", data={"csrf": csrf, "confirm": "yes"},
                   headers={"hx-request": "true"})  # fmt: skip
    assert sent.status_code == 200
    assert "sent by dee" in sent.text
    worker = OutboxWorker(rt.db, rt.config.respond, rt.settings, clock)
    while worker.run_once():
        pass
    worker.close()
    assert {to for (to,), _ in inbox.messages} == {
        "ann@example.com", "bob@example.com", "cat@example.com"
    }  # fmt: skip
    page = ui.get(f"/ui/incidents/{ident}").text
    assert ">3 sent</span>" in page
    assert ">1 failed</span>" in page
    detail = ui.get(url).text
    states = dict(re.findall(r"<tr><td>([^<]+)</td><td>[^<]*</td><td><span class=\"badge "
                             r"delivery-\w+\">(\w+)</span>", detail))  # fmt: skip
    assert states == {"ann": "sent", "bob": "sent", "cat": "sent", "bad address": "failed"}
    assert "no e-mail address for this user id" in detail
    resend = ui.post(url + "/edit", data={"csrf": csrf, "subject": "x", "text": "y"},
                     headers={"hx-request": "true"})  # fmt: skip
    assert resend.status_code == 409  # a sent message is not edited: write a new one


def test_stakeholders_are_told_from_the_page(rt: Runtime, ui: TestClient) -> None:
    ident = incident(rt)
    csrf = sign_in(ui, rt, "ops")
    url = f"/ui/incidents/{ident}/stakeholders"
    none = ui.post(url, data={"csrf": csrf, "reason": "x"}, headers={"hx-request": "true"})
    assert none.status_code == 422
    assert "Choose the groups" in none.text
    bad = ui.post(url, data={"csrf": csrf, "groups": "legal", "reason": "x", "within": "0"},
                  headers={"hx-request": "true"})  # fmt: skip
    assert bad.status_code == 422
    unknown = ui.post(url, data={"csrf": csrf, "groups": "press", "reason": "x"},
                      headers={"hx-request": "true"})  # fmt: skip
    assert unknown.status_code == 409
    assert "no stakeholder group" in unknown.text
    told = ui.post(url, data={"csrf": csrf, "groups": "legal", "within": "30",
                              "reason": "Unsafe answers reached 4 users"},
                   headers={"hx-request": "true"})  # fmt: skip
    assert told.status_code == 200, told.text
    assert "lee via hook" in told.text
    assert "not acknowledged" in told.text
    timeline = ui.get(f"/ui/incidents/{ident}?timeline=all").text
    assert "Notified legal (lee): Unsafe answers reached 4 users" in timeline
    assert "acknowledgement due by 2026-11-20T09:30:00Z" in timeline


def test_the_new_actions_need_the_csrf_token(rt: Runtime, ui: TestClient) -> None:
    ident = incident(rt)
    sign_in(ui, rt, "ops")
    for path in ("messages", "messages/1/edit", "messages/1/approve", "messages/1/send",
                 "stakeholders"):  # fmt: skip
        r = ui.post(f"/ui/incidents/{ident}/{path}", data={"csrf": "0" * 64, "kind": "initial"})
        assert r.status_code == 403, path
    with rt.db.session() as session:
        from tripwire.communicate.messages import messages

        assert messages(session, 1) == []


def test_the_panel_counts_again_after_a_minute(
    rt: Runtime, ui: TestClient, clock: ManualClock
) -> None:
    """Actions refetch the panel: within a minute it shows the last count, with its time."""
    ident = incident(rt)
    sign_in(ui, rt, "ops")
    url = f"/ui/incidents/{ident}/affected-panel"
    assert "<strong>4</strong> users" in ui.get(url).text
    store_events(rt.db, parse_batch(output("eve-0", 20, "eve", "p8", True)), rt.clock)
    clock.set(T0 + timedelta(seconds=30))
    again = ui.get(url).text
    assert "<strong>4</strong> users" in again
    assert "counted 2026-11-20 09:00:00 UTC" in again
    clock.set(T0 + timedelta(seconds=61))
    later = ui.get(url).text
    assert "<strong>5</strong> users" in later
    assert ">eve</a>" in later
    assert "counted 2026-11-20 09:01:01 UTC" in later
