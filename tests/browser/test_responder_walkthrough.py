"""A responder works a simulated incident from the overview to the post-mortem in Chromium.

The incident comes through the real path: simulated telemetry (a prompt change that doubles the
negative feedback of half the traffic) is replayed through evaluate -> detect -> respond ->
playbooks. On the way the responder also looks at who was affected, has a message to them
approved by the communications lead and delivered, and tells the legal team.

Every page visited is saved as a whole-page screenshot under the test's artifacts
(`TRIPWIRE_SCREENSHOTS` names another folder). `TRIPWIRE_DOCS_IMG=docs/img` also saves the
first screen of each page (and the incident page's panels) under the names docs/web.md shows:

    TRIPWIRE_DOCS_IMG=docs/img PYTHONPATH=src:. python -m pytest -m browser \
        tests/browser/test_responder_walkthrough.py && pngquant -f --ext .png docs/img/*.png
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import live_server
from tripwire.config.file import TripwireConfig, parse_config
from tripwire.config.settings import Settings
from tripwire.demo.tour import Receiver, demo_config
from tripwire.domain.clock import ManualClock
from tripwire.domain.events import EVENT_ADAPTER
from tripwire.notify.worker import OutboxWorker
from tripwire.runtime.wiring import Runtime
from tripwire.sim import Injection, Scenario, simulate
from tripwire.store.tokens import create_token

pytestmark = pytest.mark.browser
END = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
DAY = 1440


@dataclass
class World:
    url: str
    token: str
    shots: Path
    runtime: Runtime
    docs: Path | None  # `TRIPWIRE_DOCS_IMG`: also save the pictures of docs/web.md here


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    receiver = Receiver()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'walk.db'}", workers=False,
        allow_private_webhooks=True,
    )  # fmt: skip
    scenario = Scenario(
        seed=7,
        start=END - timedelta(days=2),
        days=2,
        outputs_per_hour=400,
        use_cases=Scenario().use_cases[:1],
        injections=(
            Injection(
                "negative_feedback", "support-chat", int(1.5 * DAY), 3.0,
                segment={"prompt_version": "v2"}, segment_share=0.5,
            ),
        ),
    )  # fmt: skip
    runtime = Runtime.open(settings, people_config(receiver.url), ManualClock(END))
    try:
        events = with_users(simulate(scenario).events)
        runtime.replay([EVENT_ADAPTER.validate_python(e) for e in events])
        with runtime.db.session() as session:
            _, token = create_token(session, "ana", ["admin"], runtime.clock.now())
        shots = Path(os.environ.get("TRIPWIRE_SCREENSHOTS") or tmp_path / "screenshots")
        shots.mkdir(parents=True, exist_ok=True)
        docs = os.environ.get("TRIPWIRE_DOCS_IMG")
        with live_server(runtime) as url:
            yield World(url, token, shots, runtime, Path(docs) if docs else None)
    finally:
        runtime.close()
        receiver.close()


def people_config(url: str) -> TripwireConfig:
    """The demo's configuration, plus a channel to reach users and two stakeholder groups."""
    data = _seconds(demo_config(url).model_dump(exclude_unset=True))
    users = {**data["respond"]["channels"]["team-chat"], "url": url}  # the receiver, signed
    data["respond"]["channels"]["users"] = users
    data["respond"]["stakeholders"] = {
        "legal": {"members": ["chen"]}, "leadership": {"members": ["bo"]},
    }  # fmt: skip
    data["communicate"] = {"user_messages": {"channel": "users"}}
    return parse_config(data)


def _seconds(value: Any) -> Any:
    """A dumped configuration as the file would say it: durations in seconds."""
    if isinstance(value, dict):
        return {k: _seconds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_seconds(v) for v in value]
    return value.total_seconds() if isinstance(value, timedelta) else value


def with_users(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The simulator sends no user ids: give each output one of 700 users, so the incident
    has affected users to list and to write to."""
    for n, event in enumerate(e for e in events if e["type"] == "output"):
        event["user_id"] = f"user-{(n * 7919) % 700:04d}"
    return events


class Walk:
    """The browser page, with a screenshot of every page it lands on."""

    def __init__(self, page: Any, world: World) -> None:
        self.page, self.world, self.count = page, world, 0
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def shot(self, name: str, docs: bool = True) -> None:
        """The whole page under the artifacts; the first screen of it for the docs."""
        self.page.wait_for_load_state("networkidle")  # the panels htmx fetches on load
        self.count += 1
        path = self.world.shots / f"{self.count:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if docs and self.world.docs is not None:
            self.page.screenshot(path=str(self.world.docs / f"{name}.png"))

    def panel(self, selector: str, name: str) -> None:
        """One panel of a page (the incident page is too long for one picture)."""
        self.count += 1
        element = self.page.locator(selector)
        element.screenshot(path=str(self.world.shots / f"{self.count:02d}-{name}.png"))
        if self.world.docs is not None:
            element.screenshot(path=str(self.world.docs / f"{name}.png"))

    def visit(self, path: str, name: str, docs: bool = True) -> None:
        self.page.goto(self.world.url + path)
        self.shot(name, docs)


def test_a_responder_works_an_incident_from_overview_to_post_mortem(world: World, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    walk = Walk(page, world)
    walk.visit("/ui/login", "sign-in")
    page.fill("input[name=token]", world.token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{world.url}/ui")
    assert page.locator("section.card svg.chart").count() >= 4, "sparklines on the overview"
    walk.shot("overview")

    page.click("section.card ul.open a")  # the open incident of support-chat
    page.wait_for_selector("#incident")
    ident = page.locator("h1").inner_text().split(":")[0]
    chart = page.locator("section.signal svg.chart").first
    assert chart.locator("line.mark.onset").count() == 1
    assert chart.locator("line.mark.detected").count() == 1
    assert chart.locator("path.band").count() == 1
    assert "time (UTC)" in chart.inner_html()
    assert page.locator("ol.suspects li").count() >= 1, "the prompt change is a suspect"
    walk.shot("incident")

    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("#status:has-text('acknowledged')")

    page.select_option("form[action$='/role'] select[name=role]", "engineering_lead")
    page.fill("form[action$='/role'] input[name=person]", "chen")
    page.click("form[action$='/role'] button")
    page.wait_for_selector("dl.roles dd:has-text('chen')")

    kill = page.locator("form[action$='/kill']").first
    kill.locator("input[name=reason]").fill("Harmful answers spreading; stop the feature")
    kill.locator("input[name=confirm]").check()
    kill.locator("button").click()
    page.wait_for_selector("p.notice:has-text('Kill switch')")
    assert page.locator("ol.timeline li:has-text('kill switch')").count() >= 1

    update = page.locator("form[action$='/update']")
    update.locator("select[name=stage]").select_option("identified")
    public = "We found the cause of the worse answers in chat and switched the feature off."
    update.locator("textarea[name=text]").fill(public)
    update.locator("button").click()
    page.wait_for_selector("p.notice:has-text('Update posted')")
    walk.shot("incident-acted", docs=False)
    tell_the_people(page, walk, world)

    internal = page.locator("h1").inner_text().split(":", 1)[1].strip()
    walk.visit("/status", "status-private", docs=False)
    assert public not in page.locator("main").inner_text(), "an internal update stays internal"
    page.goto(f"{world.url}/ui/status-page")
    publish = page.locator(f"form[action='/ui/status-page/incidents/{ident}/publish']")
    publish.locator("input[name=title]").fill("Worse answers in Support Chat")
    publish.locator("textarea[name=body]").fill(public)
    publish.locator("select[name=component]").select_option("support-chat")
    publish.locator("select[name=impact]").select_option("degraded_performance")
    publish.locator("button").click()
    page.wait_for_selector(f"#public-{ident}")
    walk.visit("/status", "status")
    shown = page.locator("main").inner_text()
    assert public in shown
    assert "Worse answers in Support Chat" in shown
    assert internal not in shown
    assert page.locator("svg.uptime").count() >= 1

    page.goto(f"{world.url}/ui/incidents/{ident}")
    page.click("button:has-text('Resolve')")
    page.wait_for_selector("#status:has-text('resolved')")
    page.click("button:has-text('Post-mortem')")
    page.wait_for_url(f"{world.url}/ui/postmortems/{ident}")
    page.fill("textarea[name=root_cause]", "Prompt change v2 dropped the instruction to cite")
    page.click("form[action$='/edit'] button")
    page.wait_for_selector("p.notice:has-text('Blameless lint: no finding')")
    items = page.locator("form[action$='/action-items']")
    items.locator("input[name=title]").fill("Gate prompt changes on the feedback eval set")
    items.locator("button").click()
    cases = page.locator("form[action$='/eval-cases']")
    cases.locator("textarea[name=input]").fill("How do I reset my password?")
    cases.locator("textarea[name=output]").fill("I cannot help with that.")
    cases.locator("input[name=description]").fill("Password reset must be answered")
    cases.locator("button").click()
    page.wait_for_selector("li:has-text('Password reset must be answered')")
    page.click("button:has-text('Mark complete')")
    page.wait_for_selector("#pm-status:has-text('done')")
    walk.shot("postmortem")

    for path, name in (
        ("/ui/incidents?status=all", "incidents"),
        ("/ui/monitors", "monitors"),
        ("/ui/monitors/negative-feedback?use_case=support-chat&range=3d", "monitor"),
        ("/ui/monitors/negative-feedback/versions?use_case=support-chat", "monitor-versions"),
        ("/ui/outputs?use_case=support-chat&prompt_version=v2", "outputs"),
        ("/ui/flags", "flags"),
        ("/ui/flags/support-chat-enabled", "flag"),
        ("/ui/oncall", "oncall"),
        ("/ui/postmortems", "postmortems"),
        ("/ui/status-page", "status-page"),
        ("/ui/readiness", "readiness"),
        ("/ui/deadletter", "quarantine"),
    ):
        walk.visit(path, name)
    page.goto(f"{world.url}/ui/outputs?use_case=support-chat&prompt_version=v2")
    page.click("ul.outputs li.output a")
    page.wait_for_selector("h1:has-text('Output')")
    walk.shot("output")

    headers = {"Authorization": f"Bearer {world.token}"}
    got = httpx.get(f"{world.url}/v1/incidents/{ident}", headers=headers).json()
    assert got["status"] == "resolved"
    assert got["roles"]["engineering_lead"] == "chen"
    assert got["review_done"] is True
    refused = [e for e in walk.errors if "status of 409" in e]
    assert len(refused) == 1, "the approval by someone not the communications lead"
    assert not [e for e in walk.errors if e not in refused], walk.errors
    assert len(list(world.shots.glob("*.png"))) >= walk.count


def tell_the_people(page: Any, walk: Walk, world: World) -> None:
    """The affected users, a message to them (refused until the communications lead approves
    it), its delivery to each user, and the legal group told with a deadline to acknowledge."""
    page.wait_for_selector("#affected-users tbody tr")  # the panel htmx fetched on load
    users = page.locator("#affected-users p.meta strong").first.inner_text()
    assert int(users.replace(",", "")) > 10, "the v2 traffic reached users"
    assert page.locator("#affected-users tbody tr").count() >= 5
    walk.panel("#affected-users", "incident-affected-users")
    page.click("#affected-users a:has-text('All')")
    page.wait_for_selector("h1:has-text('Affected users')")
    walk.shot("affected-users")
    page.go_back()

    page.select_option("#messages select[name=kind]", "initial")
    page.click("#messages button:has-text('Draft a message')")
    page.wait_for_selector("article.message.draft")
    assert page.locator("article.message .lint-ok").count() == 1, "the draft passes the lint"
    page.click("article.message button:has-text('Approve')")
    page.wait_for_selector("p.error:has-text('communications lead')")  # dee approves, not ana
    walk.panel("#messages", "incident-message-draft")
    page.select_option("form[action$='/role'] select[name=role]", "communications_lead")
    page.fill("form[action$='/role'] input[name=person]", "ana")
    page.click("form[action$='/role'] button")
    page.wait_for_selector("dl.roles dd:has-text('ana')")
    page.click("article.message button:has-text('Approve')")
    page.wait_for_selector("article.message.approved")
    page.check("article.message input[name=confirm]")
    page.click("article.message button:has-text('Send')")
    page.wait_for_selector("article.message.sent")
    deliver(world.runtime)
    page.reload()
    assert page.locator("article.message .badge.delivery-sent").count() >= 2
    walk.panel("#messages", "incident-messages")
    page.click("article.message a:has-text('delivery')")
    page.wait_for_selector("h1:has-text('Message')")
    assert page.locator("tbody .badge.delivery-sent").count() >= 10
    walk.shot("user-message")
    page.go_back()

    told = page.locator("form[action$='/stakeholders']")
    told.locator("input[value=legal]").check()
    told.locator("textarea[name=reason]").fill("Worse answers reached users of Support Chat")
    told.locator("input[name=within]").fill("30")
    told.locator("button").click()
    page.wait_for_selector("#stakeholders li:has-text('chen')")
    assert "not acknowledged" in page.locator("#stakeholders").inner_text()
    walk.panel("#stakeholders", "incident-stakeholders")


def deliver(runtime: Runtime) -> None:
    """What the outbox worker of `tripwire serve` does in the background."""
    worker = OutboxWorker(runtime.db, runtime.config.respond, runtime.settings, runtime.clock)
    try:
        while worker.run_once():
            pass
    finally:
        worker.close()
