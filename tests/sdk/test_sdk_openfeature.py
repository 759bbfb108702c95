"""The real OpenFeature Python SDK with Tripwire's provider, end to end over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.event import EventDetails, ProviderEvent
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import Reason
from openfeature.provider import ProviderStatus

from tests.sdk.servers import FakeFlags, serve_fake
from tests.sdk.test_sdk_flags import flag, sample_flags, wait_for
from tripwire import Client
from tripwire.sdk.openfeature import TripwireProvider


@pytest.fixture
def server() -> Iterator[FakeFlags]:
    fake = FakeFlags(
        flags=[
            *sample_flags(),
            flag("ratio", "string", "0.25", "0"),
            flag("limits", "string", '{"rpm": 60}', "{}"),
        ]
    )
    with serve_fake(flags=fake):
        yield fake


@pytest.fixture(autouse=True)
def clean_openfeature() -> Iterator[None]:
    yield
    api.clear_providers()
    api.clear_hooks()


def tripwire_client(url: str, cache: Path) -> Client:
    return Client(url, "tok", flush_at_exit=False, flags_cache_path=cache, flags_poll_interval=0.2)


def test_openfeature_reads_tripwire_flags(server: FakeFlags, tmp_path: Path) -> None:
    client = tripwire_client(server.url, tmp_path / "f.json")
    api.set_provider_and_wait(TripwireProvider(client))
    of = api.get_client()
    assert api.get_provider_metadata().name == "Tripwire"
    assert of.get_boolean_value("new-ui", False) is True
    details = of.get_boolean_details("new-ui", False)
    assert (details.reason, details.variant, details.error_code) == (Reason.STATIC, "on", None)
    assert details.flag_metadata["version"] == 1
    prompt = of.get_string_details("prompt", "v1")
    assert (prompt.value, prompt.variant, prompt.reason) == ("v14", "v14", Reason.STATIC)
    scoped = EvaluationContext(attributes={"use_case": "med-summary"})
    assert of.get_boolean_value("kill-chat", False, scoped) is True
    assert of.get_float_value("ratio", 1.0) == 0.25
    assert of.get_object_value("limits", {}) == {"rpm": 60}
    unset = of.get_boolean_details("unset", False)
    assert (unset.value, unset.reason) == (True, Reason.DEFAULT)
    client.close()


def test_errors_come_back_as_details_with_the_callers_default(
    server: FakeFlags, tmp_path: Path
) -> None:
    client = tripwire_client(server.url, tmp_path / "f.json")
    api.set_provider_and_wait(TripwireProvider(client))
    of = api.get_client()
    missing = of.get_boolean_details("missing", True)
    assert (missing.value, missing.reason, missing.error_code) == (
        True,
        Reason.ERROR,
        ErrorCode.FLAG_NOT_FOUND,
    )
    mismatch = of.get_string_details("new-ui", "x")
    assert (mismatch.value, mismatch.error_code) == ("x", ErrorCode.TYPE_MISMATCH)
    assert of.get_integer_details("prompt", 7).error_code == ErrorCode.TYPE_MISMATCH
    assert of.get_integer_value("ratio", 3) == 3  # "0.25" is not an integer
    client.close()


def test_it_is_not_ready_without_server_or_cache(tmp_path: Path) -> None:
    client = Client(
        "http://127.0.0.1:9", "tok", flush_at_exit=False, flags_cache_path=tmp_path / "f.json"
    )
    api.set_provider_and_wait(TripwireProvider(client, init_timeout=0.5))
    details = api.get_client().get_boolean_details("new-ui", True)
    assert (details.value, details.error_code) == (True, ErrorCode.PROVIDER_NOT_READY)
    client.close()


def test_reasons_follow_the_source_cached_then_stale(server: FakeFlags, tmp_path: Path) -> None:
    cache = tmp_path / "f.json"
    first = tripwire_client(server.url, cache)
    assert first.flags.wait_until_ready(5)
    first.close()
    server.fail_with = 500
    client = tripwire_client(server.url, cache)
    provider = TripwireProvider(client)
    assert client.flags.status.source == "disk"
    assert provider.resolve_boolean_details("new-ui", False).reason == Reason.CACHED
    api.set_provider_and_wait(provider)
    wait_for(lambda: client.flags.status.polls >= 1)
    server.fail_with = None
    wait_for(lambda: client.flags.status.source == "server")
    assert api.get_client().get_boolean_details("new-ui", False).reason == Reason.STATIC
    server.fail_with = 500
    wait_for(lambda: api.get_client().get_provider_status() == ProviderStatus.STALE)
    details = api.get_client().get_boolean_details("new-ui", False)
    assert (details.value, details.reason) == (True, Reason.STALE)
    server.fail_with = None
    wait_for(lambda: api.get_client().get_provider_status() == ProviderStatus.READY)
    client.close()


def test_a_flip_emits_configuration_changed(server: FakeFlags, tmp_path: Path) -> None:
    client = tripwire_client(server.url, tmp_path / "f.json")
    api.set_provider_and_wait(TripwireProvider(client))
    seen: list[EventDetails] = []
    arrived = threading.Event()

    def handler(details: EventDetails) -> None:
        seen.append(details)
        arrived.set()

    api.add_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, handler)
    try:
        started = time.monotonic()
        server.set("new-ui", False)
        assert arrived.wait(3)
        assert time.monotonic() - started < 0.2 + 2
        assert seen[0].flags_changed == ["new-ui"]
        assert seen[0].provider_name == "Tripwire"
        assert api.get_client().get_boolean_value("new-ui", True) is False
    finally:
        api.remove_handler(ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, handler)
    client.close()


def test_the_provider_never_raises(server: FakeFlags, tmp_path: Path) -> None:
    client = tripwire_client(server.url, tmp_path / "f.json")
    provider = TripwireProvider(client)
    client.flags.wait_until_ready(5)
    weird: Any = ["not", "a", "key"]
    details = provider.resolve_boolean_details(weird, False)
    assert details.value is False
    assert details.reason == Reason.ERROR
    client.close()
