"""No argument, however wrong, makes the SDK raise into the product; and whatever the SDK
accepts, the real server accepts too (no event refused by a 422)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sdk.conftest import Live
from tripwire import Client

# Times the server takes (its ingest window: docs/events.md); the SDK cannot know the window,
# so a time outside it is the server's refusal, not the SDK's.
IN_WINDOW = {"min_value": datetime(1971, 1, 1), "max_value": datetime(2100, 1, 1)}
garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.binary(max_size=5),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.floats(), max_size=3),
    st.datetimes(**IN_WINDOW),
    st.just(object()),
)
name = st.one_of(st.sampled_from(["support-chat", "m", "x" * 256, "x" * 257, ""]), st.text())
text = st.one_of(st.text(), st.just("é" * 1000), garbage)
unit = st.one_of(st.floats(), st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.1]), garbage)
ts = st.one_of(
    st.none(),
    st.datetimes(timezones=st.just(UTC), **IN_WINDOW),
    st.datetimes(**IN_WINDOW),
    st.sampled_from(["2026-11-20T09:00:00Z", "2026-11-20T09:00:00.123456789+02:00", "yesterday"]),
    garbage,
)
ident = st.one_of(st.none(), st.text(min_size=1, max_size=130), garbage)
value = st.one_of(name, text, garbage)


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
    method = draw(
        st.sampled_from(
            ["log_output", "feedback", "safety_check", "ticket", "change", "score", "metric"]
        )
    )
    common = {"id": draw(ident), "ts": draw(ts)}
    if method == "log_output":
        args = (draw(name), draw(name), draw(text), draw(text))
        kwargs = {
            "model_version": draw(st.one_of(st.none(), name)),
            "context": draw(st.one_of(st.none(), text, st.lists(text, max_size=3))),
            "latency_ms": draw(st.one_of(st.none(), st.floats(), garbage)),
            "status": draw(st.one_of(st.sampled_from(["ok", "error", "timeout"]), garbage)),
            "scores": draw(st.one_of(st.none(), st.dictionaries(name, unit, max_size=3), garbage)),
            "attributes": draw(st.one_of(st.none(), st.dictionaries(st.text(), value), garbage)),
        }
    elif method == "feedback":
        rating = st.one_of(st.sampled_from(["up", "down", "not_helpful", 0, 1, 5, 6]), garbage)
        args = (draw(name), draw(rating))
        kwargs = {"output_id": draw(ident), "comment": draw(st.one_of(st.none(), text))}
    elif method == "safety_check":
        args = (draw(name), draw(name), draw(st.one_of(st.booleans(), garbage)))
        kwargs = {"category": draw(st.one_of(st.none(), name))}
    elif method == "ticket":
        args = (draw(name), draw(text))
        kwargs = {"subject": draw(st.one_of(st.none(), text)), "topic": draw(st.none() | name)}
    elif method == "change":
        kind = st.one_of(st.sampled_from(["prompt_change", "model_update", "bogus"]), garbage)
        rollback = st.one_of(
            st.none(),
            st.fixed_dictionaries({"flag": name, "variant": st.one_of(name, st.booleans())}),
            st.fixed_dictionaries({"webhook": st.sampled_from(["https://x.test/r", "ftp://x"])}),
            garbage,
        )
        args = (draw(kind), draw(name))
        kwargs = {"use_case": draw(st.none() | name), "rollback": draw(rollback)}
    elif method == "score":
        args = (draw(name), draw(ident), draw(name), draw(unit))
        kwargs = {"label": draw(st.none() | name)}
    else:
        args = (draw(name), draw(name), draw(unit))
        kwargs = {"labels": draw(st.one_of(st.none(), st.dictionaries(name, value), garbage))}
    return method, args, {**common, **kwargs}


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(calls(), min_size=1, max_size=20))
def test_garbage_never_raises_and_the_server_takes_all_the_sdk_accepts(
    live: Live, batch: list[tuple[str, tuple[Any, ...], dict[str, Any]]]
) -> None:
    client = Client(live.url, live.cast.ingest, flush_at_exit=False, max_retries=0)
    for method, args, kwargs in batch:
        returned = getattr(client, method)(*args, **kwargs)
        assert isinstance(returned, str)
    assert client.flush(30)
    stats = client.stats
    client.close()
    assert stats.enqueued + stats.dropped == len(batch)
    assert stats.sent == stats.enqueued, stats  # nothing the SDK queued was refused or failed
    assert stats.failed == 0


def test_bad_arguments_to_the_constructor_never_raise() -> None:
    client = Client(None, None, batch_size="many", flush_at_exit=False)  # type: ignore[arg-type]
    assert isinstance(client.metric("chat", "x", 1.0), str)
    assert client.flush(1)
    assert client.close()
    assert client.stats.dropped == 1
    assert client.flags.is_enabled("x", True) is True


def test_a_datetime_ts_and_attributes_are_sent_in_utc(live: Live) -> None:
    client = Client(live.url, live.cast.ingest, flush_at_exit=False)
    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    client.log_output("chat", "m", "q", "a", ts=when, attributes={"at": when, "tags": ("a",)})
    assert client.flush(10)
    assert client.stats.sent == 1
    client.close()


def test_a_url_without_a_scheme_disables_the_client_with_a_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = Client("tripwire.internal:8000", "tok", flush_at_exit=False)
    assert isinstance(client.log_output("chat", "m", "q", "a"), str)
    assert client.stats.dropped == 1
    assert "http://" in caplog.text
    client.close()
