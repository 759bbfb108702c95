"""Flags in the SDK against a flags server of the real one's shape: polling, ETag/304, serving
last-known values while the server is down or failing, restart from the disk cache."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sdk.servers import FakeFlags, serve_fake
from tripwire import Client


def flag(key: str, kind: str, value: object, default: object, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": kind, "value": value, "default": default, "version": 1, **extra}


def sample_flags() -> list[dict[str, Any]]:
    return [
        flag("kill-chat", "boolean", False, False, use_case="support-chat", description="kill"),
        flag("kill-chat", "boolean", True, False, use_case="med-summary"),
        flag("new-ui", "boolean", True, False),
        flag("prompt", "string", "v14", "v13", variants=["v13", "v14"]),
        flag("unset", "boolean", None, True),
        flag("wrong", "boolean", "yes", None),
    ]


@pytest.fixture
def server() -> Iterator[FakeFlags]:
    fake = FakeFlags(flags=sample_flags())
    with serve_fake(flags=fake):
        yield fake


def make_client(url: str, cache: Path | None, **options: Any) -> Client:
    return Client(
        url, "tok", flush_at_exit=False, flags_cache_path=cache, flags_poll_interval=0.2, **options
    )


def wait_for(check: Any, timeout: float = 5.0) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)
    return time.monotonic() - started


def test_it_evaluates_flags_locally(server: FakeFlags, tmp_path: Path) -> None:
    client = make_client(server.url, tmp_path / "flags.json")
    flags = client.flags
    assert flags.wait_until_ready(5)
    assert flags.is_enabled("new-ui") is True
    assert flags.variant("prompt", "v1") == "v14"
    assert flags.is_enabled("kill-chat", use_case="med-summary") is True
    assert flags.is_enabled("kill-chat", use_case="support-chat") is False
    assert flags.is_enabled("kill-chat", True, use_case="other") is True  # not scoped to it
    assert flags.is_enabled("nope", True) is True  # unknown: the caller's default
    assert flags.variant("nope", "x") == "x"
    assert flags.is_enabled("unset") is True  # no value: the flag's declared default
    assert flags.is_enabled("wrong", True) is True  # unusable value, no default: the caller's
    assert flags.is_enabled("prompt", True) is True  # a string flag is not a boolean
    assert flags.variant("new-ui", "x") == "x"
    assert flags.status.source == "server"
    client.close()


def test_it_polls_with_an_etag_and_takes_304s(server: FakeFlags, tmp_path: Path) -> None:
    client = make_client(server.url, tmp_path / "flags.json")
    client.flags.wait_until_ready(5)
    wait_for(lambda: len(server.hits) >= 3)
    first, second = server.hits[0], server.hits[1]
    assert first == (200, None)
    assert second == (304, server.etag())
    assert client.flags.status.healthy
    client.close()


def test_a_flip_reaches_the_client_within_the_poll_interval_plus_2_s(
    server: FakeFlags, tmp_path: Path
) -> None:
    client = Client(
        server.url,
        "tok",
        flush_at_exit=False,
        flags_cache_path=tmp_path / "f.json",
        flags_poll_interval=1.0,
    )
    changes: list[list[str]] = []
    client.flags.on_change(changes.append)
    assert client.flags.wait_until_ready(5)
    assert client.flags.is_enabled("new-ui") is True
    server.set("new-ui", False)
    took = wait_for(lambda: client.flags.is_enabled("new-ui") is False, timeout=3.0)
    assert took < 1.0 + 2.0
    assert changes == [["new-ui"]]
    client.close()


def test_it_serves_last_known_values_while_the_server_fails(
    server: FakeFlags, tmp_path: Path
) -> None:
    client = make_client(server.url, tmp_path / "flags.json")
    health: list[bool] = []
    client.flags.on_health(health.append)
    assert client.flags.wait_until_ready(5)
    server.fail_with = 500
    wait_for(lambda: not client.flags.status.healthy)
    assert client.flags.is_enabled("new-ui") is True
    assert client.flags.variant("prompt", "v1") == "v14"
    server.fail_with = None
    wait_for(lambda: client.flags.status.healthy)
    assert health == [True, False, True]
    client.close()


def test_it_keeps_serving_when_the_server_is_gone_and_restarts_from_disk(tmp_path: Path) -> None:
    cache = tmp_path / "flags.json"
    fake = FakeFlags(flags=sample_flags())
    with serve_fake(flags=fake) as url:
        client = make_client(url, cache)
        assert client.flags.wait_until_ready(5)
        fake.set("new-ui", False)
        wait_for(lambda: client.flags.is_enabled("new-ui", True) is False)
    # the server is down now
    wait_for(lambda: not client.flags.status.healthy)
    assert client.flags.is_enabled("new-ui", True) is False
    client.close()
    saved = json.loads(cache.read_text())
    assert {f["key"] for f in saved["flags"]} >= {"new-ui", "prompt"}
    assert [p.name for p in tmp_path.iterdir()] == ["flags.json"]  # no temporary files left
    restarted = make_client(url, cache)
    flags = restarted.flags
    assert flags.status.source == "disk"
    assert flags.is_enabled("new-ui", True) is False  # before any poll, with no server
    assert flags.variant("prompt", "v1") == "v14"
    time.sleep(0.5)
    assert flags.status.failures >= 1
    assert flags.is_enabled("new-ui", True) is False
    restarted.close()


def test_a_snapshot_older_than_max_stale_serves_declared_defaults(
    server: FakeFlags, tmp_path: Path
) -> None:
    client = make_client(server.url, tmp_path / "flags.json", flags_max_stale=0.5)
    assert client.flags.wait_until_ready(5)
    assert client.flags.variant("prompt", "v1") == "v14"
    server.fail_with = 503
    wait_for(lambda: client.flags.variant("prompt", "v1") == "v13", timeout=3)
    assert client.flags.is_enabled("new-ui", True) is False  # its declared default
    client.close()


def test_a_corrupt_cache_or_answer_is_ignored(server: FakeFlags, tmp_path: Path) -> None:
    cache = tmp_path / "flags.json"
    cache.write_text("{not json")
    client = make_client(server.url, cache)
    assert client.flags.wait_until_ready(5)
    assert client.flags.is_enabled("new-ui") is True
    server.flags = [{"key": 3}, flag("ok", "boolean", True, False)]
    wait_for(lambda: client.flags.is_enabled("ok"))
    assert client.flags.get("new-ui") is None
    client.close()


def test_flag_evaluation_never_raises(server: FakeFlags, tmp_path: Path) -> None:
    client = make_client(server.url, tmp_path / "flags.json")
    assert client.flags.wait_until_ready(5)
    anything = st.one_of(st.text(), st.none(), st.integers(), st.lists(st.text()))
    keys = st.one_of(st.sampled_from(["new-ui", "kill-chat", "prompt", "unset"]), anything)

    @settings(max_examples=300, deadline=None)
    @given(key=keys, use_case=st.one_of(st.sampled_from(["support-chat"]), anything))
    def check(key: Any, use_case: Any) -> None:
        assert isinstance(client.flags.is_enabled(key, True, use_case=use_case), bool)
        assert isinstance(client.flags.variant(key, "d", use_case=use_case), str)

    check()
    client.close()
