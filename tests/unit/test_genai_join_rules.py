"""The GenAI content join's pure rules: log records as parts, content, completeness, and the
setting that turns capture on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.otlp_build import chat_logs, key, log, logs_request
from tripwire.evaluate.capture import (
    EVENT_SETTING,
    LATEST_SETTING,
    OFFICIAL_SETTING,
    OPENINFERENCE_SETTING,
    OPENLLMETRY_SETTING,
    capture_setting,
    missing_content,
)
from tripwire.ingest.genai_assemble import complete, content
from tripwire.ingest.otlp_logs import LogPart, map_logs
from tripwire.store.genai import Part


def parts(*records: Any) -> list[Part]:
    mapping = map_logs(logs_request(*records))
    return [_part(p) for p in mapping.parts]


def _part(p: LogPart) -> Part:
    return Part(p.id, p.span, p.kind, p.position, p.ordinal, p.data)


OUTPUT = {"id": key(1), "use_case": "u", "status": "ok", "attributes": {}}


def test_messages_and_the_choice_give_prompt_and_answer() -> None:
    found = parts(*chat_logs(1))
    assert content(found) == ("system: Be brief.\nuser: What is the refund window?", "30 days.")
    assert complete(OUTPUT, found)
    assert not complete(OUTPUT, found[:2])


def test_capture_off_gives_no_content_and_capture_on_an_empty_answer_gives_empty() -> None:
    assert content(parts(*chat_logs(1, captured=False))) == (None, None)
    assert content(parts(*chat_logs(1, answer="")))[1] == ""


def test_every_choice_of_the_call_is_awaited() -> None:
    two = {**OUTPUT, "attributes": {"gen_ai.response.finish_reasons": ["stop", "length"]}}
    first = {"index": 0, "message": {"role": "assistant", "content": "A"}}
    second = {"index": 1, "message": {"role": "assistant", "content": "B"}}
    one = parts(log(1, "gen_ai.choice", first))
    assert not complete(two, one)
    both = parts(log(1, "gen_ai.choice", second), log(1, "gen_ai.choice", first))
    assert complete(two, both)
    assert content(both)[1] == "assistant: A\nassistant: B"


def test_a_failed_call_is_complete_with_its_prompt() -> None:
    failed = {**OUTPUT, "status": "error"}
    assert not complete(failed, [])
    assert complete(failed, parts(chat_logs(1)[1]))


def test_tool_calls_count_as_content_only_with_their_arguments() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "lookup"}}
    without = parts(log(1, "gen_ai.assistant.message", {"tool_calls": [call]}))
    assert content(without) == (None, None)
    with_args = {**call, "function": {"name": "lookup", "arguments": '{"q": 1}'}}
    found = parts(log(1, "gen_ai.assistant.message", {"tool_calls": [with_args]}))
    assert content(found)[0] == "[tool call lookup]"


def test_a_resent_record_keeps_its_identity_and_twins_stay_two() -> None:
    record = chat_logs(1)[1]
    once = map_logs(logs_request(record)).parts
    twice = map_logs(logs_request(chat_logs(1)[0], record, record)).parts
    assert once[0].id == twice[1].id
    assert twice[1].id != twice[2].id


@pytest.mark.parametrize(
    ("scope", "setting"),
    [
        ("opentelemetry.instrumentation.openai_v2", OFFICIAL_SETTING),
        ("opentelemetry.util.genai.handler", LATEST_SETTING),
        ("openinference.instrumentation.openai", OPENINFERENCE_SETTING),
        ("opentelemetry.instrumentation.openai.v1", OPENLLMETRY_SETTING),
        (None, EVENT_SETTING),
    ],
)
def test_the_setting_named_is_the_one_of_the_instrumentation(
    scope: str | None, setting: str
) -> None:
    bare: dict[str, Any] = {"status": "ok"}
    if scope:
        bare["attributes"] = {"otel.scope.name": scope}
    assert capture_setting(bare) == setting
    assert "'<script>'" in capture_setting({"attributes": {"otel.scope.name": "<script>"}})


def test_what_counts_as_missing_content() -> None:
    assert missing_content({"status": "ok"})
    assert not missing_content({"status": "ok", "output": ""})  # captured, empty
    assert not missing_content({"status": "error", "input": "q"})  # a failure has no answer
    assert missing_content({"status": "error"})
