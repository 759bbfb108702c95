"""Helpers for tests that close incidents: every incident needs a test case to close, and a
P0/P1 a completed post-mortem (docs/learn.md)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Cast


def add_case(client: TestClient, cast: Cast, ident: str) -> None:
    body = {"input": "Summarise my order", "output": "ok", "assertions": [
        {"type": "not-equals", "value": "ok"}]}  # fmt: skip
    r = client.post(f"/v1/incidents/{ident}/eval-cases", json=body, headers=cast.auth("respond"))
    assert r.status_code == 201, r.text


def complete_postmortem(client: TestClient, cast: Cast, ident: str) -> None:
    h = cast.auth("respond")
    client.post(f"/v1/incidents/{ident}/postmortem", headers=h)
    client.patch(
        f"/v1/incidents/{ident}/postmortem",
        json={"root_cause": "Prompt v14 dropped the refund policy paragraph."},
        headers=h,
    )
    client.post(f"/v1/incidents/{ident}/action-items", json={"title": "Pin the policy"}, headers=h)
    r = client.post(f"/v1/incidents/{ident}/postmortem/complete", headers=h)
    assert r.status_code == 200, r.text
