from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tripwire.flags.model import (
    Flag,
    FlagInvalid,
    apply_update,
    etag_matches,
    etag_of,
    killed_version,
)

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def flag(**body: object) -> Flag:
    return apply_update(None, "chat.prompt", dict(body), NOW, "alice")


def test_a_new_flag_takes_its_type_and_default_from_its_value() -> None:
    made = flag(value=True)
    assert (made.type, made.default, made.version) == ("boolean", True, 1)


def test_it_rejects_a_value_of_the_wrong_type() -> None:
    with pytest.raises(FlagInvalid, match="must be true or false"):
        flag(type="boolean", value="yes")


def test_it_rejects_a_string_value_outside_the_declared_variants() -> None:
    with pytest.raises(FlagInvalid, match="not one of its variants"):
        flag(value="v15", variants=["v13", "v14"])


def test_an_update_keeps_the_fields_it_does_not_name_and_bumps_the_version() -> None:
    first = flag(value="v14", variants=["v13", "v14"], use_case="chat", default="v13")
    second = apply_update(first, "chat.prompt", {"value": "v13"}, NOW, "bob")
    assert (second.value, second.default, second.variants) == ("v13", "v13", ("v13", "v14"))
    assert (second.version, second.updated_by) == (2, "bob")


def test_it_refuses_a_body_key_that_differs_from_the_path() -> None:
    with pytest.raises(FlagInvalid, match="differs"):
        apply_update(None, "a", {"key": "b", "value": True}, NOW, "x")


def test_it_refuses_keys_with_spaces_or_slashes() -> None:
    for key in ("has space", "a/b", "", "-lead"):
        with pytest.raises(FlagInvalid):
            apply_update(None, key, {"value": True}, NOW, "x")


def test_a_boolean_kill_switch_turns_the_flag_off() -> None:
    killed = killed_version(flag(value=True), NOW, "pager")
    assert (killed.value, killed.killed, killed.version) == (False, True, 2)


def test_a_string_flag_needs_a_declared_kill_value() -> None:
    with pytest.raises(FlagInvalid, match="kill_value"):
        killed_version(flag(value="v14"), NOW, "pager")
    safe = flag(value="v14", variants=["v14", "off"], kill_value="off")
    assert killed_version(safe, NOW, "pager").value == "off"


def test_the_json_shape_is_what_clients_read() -> None:
    data = flag(value="v14", use_case="chat").as_json()
    assert data["type"] == "string"
    assert data["updated_at"] == "2026-11-20T09:00:00Z"
    assert {"key", "type", "value", "default", "version", "use_case"} <= data.keys()


def test_etags_match_weak_and_listed_forms() -> None:
    tag = etag_of({"flags": []})
    assert etag_matches(tag, tag)
    assert etag_matches(f'"other", W/{tag}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches('"other"', tag)
    assert not etag_matches(None, tag)


@given(st.recursive(st.none() | st.booleans() | st.text(), lambda c: st.lists(c, max_size=3)))
def test_etags_are_stable_and_quoted(data: object) -> None:
    assert etag_of(data) == etag_of(data)
    assert etag_of(data).startswith('"')
    assert etag_of(data).endswith('"')
