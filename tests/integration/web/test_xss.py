"""Hostile text in every field a model, a user or an API caller writes renders inert on every
page: no script but our own, no event handler, no javascript: URL, no inline style; and the
pages keep the strict CSP, state changes need the CSRF token, GET changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FAR_AHEAD, T0, Cast
from tripwire.config.file import parse_config
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.domain.events import EVENT_ADAPTER
from tripwire.runtime.wiring import Runtime

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '"><script>alert(1)</script>',
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
    "<iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<base href=//evil.example/>",
    '<meta http-equiv="refresh" content="0;url=//evil.example">',
    "<link rel=stylesheet href=//evil.example/x.css>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">',
    '" onmouseover="alert(1)',
    "' onmouseover='alert(1)",
    "javascript:alert(1)",
    "{{7*7}}",
    "{% raw %}{{ config }}{% endraw %}",
    "${alert(1)}",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=`x` onerror=alert(1)>",
    "<img/src/onerror=alert(1)>",
    "<svg/onload=alert`1`>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<form action=javascript:alert(1)><button>x</button></form>",
    '<button formaction="javascript:alert(1)">x</button>',
    '<div hx-get="/ui/logout" hx-trigger="load">x</div>',
    '<div hx-on:click="alert(1)">x</div>',
    '<div data-hx-post="/ui/logout" hx-trigger="load">',
    "<template><script>alert(1)</script></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '"><svg><animate onbegin=alert(1) attributeName=x dur=1s>',
    "<marquee onstart=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<isindex action=javascript:alert(1) type=image>",
    "<x contenteditable onblur=alert(1)>lose focus",
    "\u202e<script>alert(1)</script>",
    "<img src=x onerror=&#97;lert(1)>",
]
USE_CASES = PAYLOADS[:4]
STAKEHOLDERS = PAYLOADS[40:43]  # people's names: the configuration does not restrict them
EVIL_ATTR = re.compile(r"^(on|style$|formaction$|srcdoc$)", re.I)
URL_ATTRS = ("href", "src", "action", "formaction", "data", "xlink:href")


OUR_SCRIPTS = ("/static/htmx.min.js", "/static/localtime.js")
# The one GET htmx makes by itself: the incident page's affected-users panel, fetched on load.
OUR_LAZY_PANEL = {
    "hx-get": re.compile(r"/ui/incidents/INC-\d+/affected-panel"),
    "hx-trigger": re.compile("load"),
}


class Inspector(HTMLParser):
    """Collects anything in a page that could run or restyle: it must all be ours."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and named.get("src") not in OUR_SCRIPTS:
            self.problems.append(f"script {attrs}")
        if tag in ("iframe", "object", "embed", "base", "style", "isindex", "marquee", "math"):
            self.problems.append(f"<{tag}>")
        if tag == "meta" and named.get("http-equiv"):
            self.problems.append(f"meta {attrs}")
        if tag == "link" and named.get("href", "").startswith(("//", "http")):
            self.problems.append(f"link {attrs}")
        for name, value in attrs:
            if EVIL_ATTR.match(name) or name.startswith(("hx-on", "data-hx")):
                self.problems.append(f"<{tag} {name}=...>")
            if name in URL_ATTRS and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
            if name.startswith("hx-") and not _ours(name, value or ""):
                self.problems.append(f"<{tag} {name}>")


def _ours(name: str, value: str) -> bool:
    """An htmx attribute our templates write (forms, and the one panel fetched on load)."""
    if name in ("hx-post", "hx-target", "hx-select", "hx-swap", "hx-headers"):
        return True
    pattern = OUR_LAZY_PANEL.get(name)
    return pattern is not None and pattern.fullmatch(value) is not None


def _inert(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    return inspector.problems


def _events() -> list[dict[str, Any]]:
    """Two hours of traffic per hostile use case (so the detectors finish windows), every
    payload in every field an event carries."""
    events: list[dict[str, Any]] = []
    start = T0 - timedelta(hours=3)
    for u, use_case in enumerate(USE_CASES):
        for m in range(0, 150, 3):
            p = PAYLOADS[(m // 3 + u) % len(PAYLOADS)]
            ts = (start + timedelta(minutes=m)).isoformat().replace("+00:00", "Z")
            oid = f"o{u}-{m}"
            events += [
                {"id": oid, "type": "output", "ts": ts, "use_case": use_case, "model": p,
                 "model_version": p, "prompt_version": p, "user_id": p, "session_id": p,
                 "input": p, "output": p, "context": [p, p], "latency_ms": 900.0,
                 "scores": {"quality": 0.8}, "attributes": {p: p}},
                {"id": f"f{u}-{m}", "type": "feedback", "ts": ts, "use_case": use_case,
                 "output_id": oid, "rating": "down", "comment": p, "user_id": p},
                {"id": f"s{u}-{m}", "type": "safety", "ts": ts, "use_case": use_case,
                 "output_id": oid, "filter": p, "triggered": m % 2 == 0, "category": p},
                {"id": f"t{u}-{m}", "type": "ticket", "ts": ts, "use_case": use_case,
                 "text": p, "subject": p, "user_id": p, "channel": p},
                {"id": f"sc{u}-{m}", "type": "score", "ts": ts, "use_case": use_case,
                 "output_id": oid, "name": "groundedness", "value": 0.4, "explanation": p,
                 "source": "product"},
            ]  # fmt: skip
        events.append(
            {"id": f"c{u}", "type": "change", "ts": (start + timedelta(minutes=30)).isoformat(),
             "use_case": use_case, "kind": "prompt_change", "version": PAYLOADS[u + 5],
             "previous_version": PAYLOADS[u + 6], "description": PAYLOADS[u + 7],
             "author": PAYLOADS[u + 8], "component": PAYLOADS[u + 9]}
        )  # fmt: skip
    return events


@pytest.fixture
def runtime(db_url: str, clock: ManualClock) -> Iterator[Runtime]:
    """The shared runtime, with hostile stakeholder names and a channel to reach users."""
    hook = {"type": "webhook", "url": "http://127.0.0.1:9/hook"}
    config = parse_config({
        "respond": {
            "people": {p: {"notify": ["hook"]} for p in STAKEHOLDERS},
            "stakeholders": {"legal": {"members": STAKEHOLDERS}},
            "channels": {"hook": hook, "users": hook},
        },
        "communicate": {"user_messages": {"channel": "users"}},
    })  # fmt: skip
    settings = Settings(
        database_url=db_url, workers=False, event_max_future=FAR_AHEAD, event_max_age=FAR_AHEAD
    )
    rt = Runtime.open(settings, config, clock)
    yield rt
    rt.close()


def _sign_in(client: TestClient, token: str) -> str:
    client.post("/ui/login", data={"token": token, "next": "/ui"})
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/ui").text)
    assert match
    return match.group(1)


@pytest.fixture
def hostile(runtime: Runtime, client: TestClient, cast: Cast) -> dict[str, Any]:
    runtime.replay([EVENT_ADAPTER.validate_python(e) for e in _events()])
    auth = cast.auth("admin")
    ids = []
    for n, p in enumerate(PAYLOADS[:6]):
        body = {"type": "safety", "title": p, "use_case": USE_CASES[n % len(USE_CASES)],
                "started_at": (T0 - timedelta(hours=4)).isoformat()}  # fmt: skip
        ids.append(client.post("/v1/incidents", json=body, headers=auth).json()["id"])
    first = ids[0]
    for n, p in enumerate(PAYLOADS):
        client.post(f"/v1/incidents/{first}/notes", json={"text": p, "by": p}, headers=auth)
        if n % 5 == 0:
            update = {"text": p, "stage": "identified", "by": p}
            client.post(f"/v1/incidents/{first}/updates", json=update, headers=auth)
    public = {"title": PAYLOADS[11], "body": PAYLOADS[12],
              "components": {USE_CASES[1 % len(USE_CASES)]: "partial_outage"}}  # fmt: skip
    r = client.post(f"/v1/incidents/{ids[1]}/public", json=public, headers=auth)
    assert r.status_code == 201, r.text
    for p in PAYLOADS[13:19]:
        step = {"status": "monitoring", "body": p}
        client.post(f"/v1/incidents/{ids[1]}/public/updates", json=step, headers=auth)
    window = {"title": PAYLOADS[19], "body": PAYLOADS[20], "components": [USE_CASES[0]],
              "starts_at": "2026-11-20T10:00:00Z", "ends_at": "2026-11-20T11:00:00Z"}  # fmt: skip
    r = client.post("/v1/status-page/maintenance", json=window, headers=auth)
    assert r.status_code == 201, r.text
    client.post(f"/v1/incidents/{first}/roles", json={"role": "safety_lead", "person": PAYLOADS[1]},
                headers=auth)  # fmt: skip
    client.post(f"/v1/incidents/{first}/tasks", json={"title": PAYLOADS[2]}, headers=auth)
    flag = {"type": "boolean", "value": True, "default": True, "kill_value": False,
            "use_case": USE_CASES[0], "description": PAYLOADS[3], "reason": PAYLOADS[4],
            "incident_id": first}  # fmt: skip
    assert client.put("/v1/flags/chat-enabled", json=flag, headers=auth).status_code == 200
    kill = {"reason": PAYLOADS[10], "incident_id": first}
    assert client.post("/v1/flags/chat-enabled/kill", json=kill, headers=auth).status_code == 200
    client.post(f"/v1/incidents/{first}/postmortem", headers=auth)
    sections = {
        k: PAYLOADS[i]
        for i, k in enumerate(
            ("summary", "impact", "root_cause", "what_went_well", "what_went_wrong", "lessons")
        )
    }
    sections["contributing_factors"] = PAYLOADS[20:25]
    assert (
        client.patch(f"/v1/incidents/{first}/postmortem", json=sections, headers=auth).status_code
        == 200
    )
    item = {"title": PAYLOADS[30], "owner": PAYLOADS[31]}
    client.post(f"/v1/incidents/{first}/action-items", json=item, headers=auth)
    case = {
        "input": PAYLOADS[32],
        "output": PAYLOADS[33],
        "description": PAYLOADS[34],
        "assertions": [{"type": "not-contains", "value": PAYLOADS[35]}],
        "by": PAYLOADS[36],
    }
    assert (
        client.post(f"/v1/incidents/{first}/eval-cases", json=case, headers=auth).status_code == 201
    )
    messages = _people(client, auth, first)
    return {"incident": first, "messages": messages}


def _people(client: TestClient, auth: dict[str, str], first: str) -> list[int]:
    """Affected users (their ids are payloads), messages to them (hostile subject and text;
    one approved and sent, so its recipients show) and stakeholders told with a hostile reason."""
    url = f"/v1/incidents/{first}/communications"
    ids = []
    for p, q in zip(PAYLOADS[36:44], PAYLOADS[44:52], strict=True):
        made = client.post(url, json={"kind": "initial", "subject": p, "text": q}, headers=auth)
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    lead = {"role": "communications_lead", "person": "admin"}  # the admin token's name
    assert client.post(f"/v1/incidents/{first}/roles", json=lead, headers=auth).status_code == 200
    sent = client.post(url, json={"kind": "initial"}, headers=auth).json()
    assert client.post(f"{url}/{sent['id']}/approve", headers=auth).status_code == 200
    done = client.post(f"{url}/{sent['id']}/send", headers=auth).json()
    assert done["recipients"] >= 10, done  # the hostile user ids of the flagged outputs
    told = {"groups": ["legal"], "reason": PAYLOADS[39], "within_minutes": 30}
    r = client.post(f"/v1/incidents/{first}/stakeholders", json=told, headers=auth)
    assert r.status_code == 200, r.text
    return [*ids, sent["id"]]


def test_the_corpus_is_big_enough() -> None:
    assert len(set(PAYLOADS)) >= 50


def test_hostile_text_renders_inert_on_every_page(
    client: TestClient, cast: Cast, hostile: dict[str, Any]
) -> None:
    _sign_in(client, cast.admin)
    ident = hostile["incident"]
    use_case = USE_CASES[0]
    pages = [
        "/ui", "/ui/incidents?status=all", f"/ui/incidents/{ident}",
        f"/ui/incidents/{ident}?timeline=people", "/ui/monitors",
        "/ui/monitors/negative-feedback", "/ui/monitors/negative-feedback/versions",
        "/ui/outputs", "/ui/outputs?text=script", "/ui/outputs/o0-3", "/ui/flags",
        "/ui/flags/chat-enabled", "/ui/oncall", "/ui/postmortems", f"/ui/postmortems/{ident}",
        "/ui/status-page", "/ui/readiness", "/status", f"/ui/incidents/{ident}/affected-users",
        f"/ui/incidents/{ident}/affected-panel",
        *(f"/ui/incidents/{ident}/messages/{m}" for m in hostile["messages"]),
    ]  # fmt: skip
    seen_payload = 0
    for path in pages:
        for params in ({}, {"use_case": use_case}):
            r = client.get(path, params=params)
            assert r.status_code == 200, (path, r.status_code)
            assert "unsafe-inline" not in r.headers["content-security-policy"]
            assert "script-src 'self'" in r.headers["content-security-policy"]
            assert _inert(r.text) == [], (path, _inert(r.text)[:5])
            seen_payload += sum(1 for p in PAYLOADS if _escaped(p) in r.text)
    assert seen_payload > 200, "the hostile text is on the pages, escaped"
    _the_people_panels_show_the_hostile_text(client, ident, hostile["messages"])
    for p in PAYLOADS:  # typed back into the explorer's filters: inside attribute values
        r = client.get("/ui/outputs", params={"text": p, "user_id": p, "use_case": p})
        assert _inert(r.text) == [], (p, _inert(r.text)[:5])


def _the_people_panels_show_the_hostile_text(
    client: TestClient, ident: str, messages: list[int]
) -> None:
    """Not vacuous: user ids, message subjects and texts and stakeholder names are on the new
    panels (escaped), so the inertness above covers them."""
    users = client.get(f"/ui/incidents/{ident}/affected-panel").text
    assert sum(_escaped(p) in users for p in PAYLOADS) >= 5, "hostile user ids listed"
    page = client.get(f"/ui/incidents/{ident}").text
    panel = page[page.index('id="messages"') :]
    assert all(_escaped(p) in panel for p in PAYLOADS[36:52]), "subjects and texts shown"
    told = page[page.index('id="stakeholders"') :]
    assert all(_escaped(p) in told for p in STAKEHOLDERS), "stakeholder names shown"
    sent = client.get(f"/ui/incidents/{ident}/messages/{messages[-1]}").text
    assert sum(_escaped(p) in sent for p in PAYLOADS) >= 10, "hostile recipients listed"
    everyone = client.get(f"/ui/incidents/{ident}/affected-users").text
    assert sum(_escaped(p) in everyone for p in PAYLOADS) >= 10


def _escaped(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def test_gets_change_nothing_and_posts_need_the_csrf_token(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    body = {"type": "quality_regression", "title": "Worse answers", "use_case": "chat"}
    ident = client.post("/v1/incidents", json=body, headers=cast.auth("respond")).json()["id"]
    _sign_in(client, cast.admin)
    before = client.get(f"/v1/incidents/{ident}", headers=cast.auth("read")).json()["version"]
    for action in ("ack", "resolve", "note", "update", "severity", "role", "kill", "postmortem"):
        r = client.get(f"/ui/incidents/{ident}/{action}")
        assert r.status_code in (404, 405), (action, r.status_code)
        forged = client.post(f"/ui/incidents/{ident}/{action}", data={"csrf": "0" * 64,
                             "text": "x", "reason": "x"})  # fmt: skip
        assert forged.status_code == 403, (action, forged.status_code)
    for path in ("/ui/flags/x/kill", "/ui/oncall/overrides", f"/ui/postmortems/{ident}/complete"):
        assert client.post(path, data={"reason": "x"}).status_code == 403
    after = client.get(f"/v1/incidents/{ident}", headers=cast.auth("read")).json()["version"]
    assert after == before
