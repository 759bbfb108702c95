"""POST /v1/otlp/logs: GenAI content log records join their span's output, whichever arrives
first, durably; evaluations become scores; limits and errors like the other ingest routes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse

from tests.conftest import Cast
from tests.otlp_build import (
    BARE_CHAT,
    CHAT,
    T_END,
    TRACE,
    chat_logs,
    key,
    log,
    logs_request,
    request,
    scoped,
    span,
)
from tripwire.config.file import TripwireConfig
from tripwire.domain.clock import ManualClock
from tripwire.ingest.genai_join import JoinLimits, JoinWorker
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import iter_by_time
from tripwire.store.genai import held_count, unjoined_count

PROTOBUF = {"Content-Type": "application/x-protobuf"}
WINDOW = timedelta(seconds=30)


def post(client: TestClient, cast: Cast, path: str, body: bytes, **headers: str) -> Any:
    return client.post(path, content=body, headers={**PROTOBUF, **cast.auth("ingest"), **headers})


def send_span(client: TestClient, cast: Cast, *spans: Any) -> Any:
    r = post(client, cast, "/v1/otlp/traces", scoped(request(*spans)).SerializeToString())
    assert r.status_code == 200, r.text
    return r


def send_logs(client: TestClient, cast: Cast, *records: Any) -> Any:
    r = post(client, cast, "/v1/otlp/logs", logs_request(*records).SerializeToString())
    assert r.status_code == 200, r.text
    return r


def stored(runtime: Runtime) -> dict[str, dict[str, Any]]:
    with runtime.db.session() as session:
        return {e.id: e.payload for e in iter_by_time(session)}


def pending(runtime: Runtime) -> tuple[int, int]:
    with runtime.db.session() as session:
        return held_count(session), unjoined_count(session)


def worker(runtime: Runtime) -> JoinWorker:
    return JoinWorker(runtime.db, JoinLimits.from_settings(runtime.settings), runtime.clock)


def partial(r: Any) -> Any:
    return ExportLogsServiceResponse.FromString(r.content).partial_success


def test_log_records_sent_before_their_span_join_its_output(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    r = send_logs(client, cast, *chat_logs(1))
    assert r.headers["tripwire-accepted"] == "3"
    assert stored(runtime) == {}  # content alone is no output
    send_logs(client, cast, chat_logs(1)[2])  # the sender sends it again, fixed
    send_span(client, cast, span(1, BARE_CHAT))
    output = stored(runtime)[key(1)]
    assert output["input"] == "system: Be brief.\nuser: What is the refund window?"
    assert output["output"] == "30 days."
    assert output["output"] == "30 days."
    assert (output["model"], output["status"], output["input_tokens"]) == (
        "gpt-4o-2024-08-06",
        "ok",
        12,
    )
    assert output["latency_ms"] == 1250.0
    assert pending(runtime) == (0, 0)


def test_log_records_sent_after_their_span_join_its_output(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    r = send_span(client, cast, span(1, BARE_CHAT))
    assert r.headers["tripwire-accepted"] == "1"
    assert stored(runtime) == {}  # held for its content
    assert pending(runtime) == (1, 0)
    send_logs(client, cast, *chat_logs(1)[:2])  # the prompt: the answer is still to come
    assert stored(runtime) == {}
    send_logs(client, cast, chat_logs(1)[2])
    output = stored(runtime)[key(1)]
    assert (output["input"], output["output"]) == (
        "system: Be brief.\nuser: What is the refund window?",
        "30 days.",
    )
    assert pending(runtime) == (0, 0)


def test_content_capture_off_gives_an_output_without_content_at_once(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    send_span(client, cast, span(1, BARE_CHAT))
    send_logs(client, cast, *chat_logs(1, captured=False))
    output = stored(runtime)[key(1)]
    assert "input" not in output
    assert "output" not in output


def test_a_captured_empty_answer_is_empty_not_absent(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    # The instrumentation leaves an empty `content` out of the choice; the captured prompt
    # shows capture was on, so the answer really was "".
    send_logs(client, cast, *chat_logs(1, answer=""))
    send_span(client, cast, span(1, BARE_CHAT))
    assert stored(runtime)[key(1)]["output"] == ""


def test_a_failed_call_keeps_its_prompt_and_status(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    failed = {**BARE_CHAT, "error.type": "InternalServerError"}
    send_logs(client, cast, *chat_logs(1)[:2])
    send_span(client, cast, span(1, failed, error=True))
    output = stored(runtime)[key(1)]
    assert output["status"] == "error"
    assert output["input"].endswith("What is the refund window?")
    assert "output" not in output


def test_the_operation_details_event_carries_both_sides(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    details = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system_instructions": [{"type": "text", "content": "Be brief."}],
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}],
        "gen_ai.output.messages": [
            {"role": "assistant", "parts": [{"type": "text", "content": "Hello."}]}
        ],
    }
    send_span(client, cast, span(1, BARE_CHAT))
    send_logs(client, cast, log(1, "gen_ai.client.inference.operation.details", attrs=details))
    output = stored(runtime)[key(1)]
    assert (output["input"], output["output"]) == ("system: Be brief.\nuser: Hi", "Hello.")


def test_a_span_alone_is_released_without_content_when_its_window_ends(
    client: TestClient, cast: Cast, runtime: Runtime, clock: ManualClock
) -> None:
    send_span(client, cast, span(1, BARE_CHAT))
    clock.advance(WINDOW - timedelta(seconds=1))
    worker(runtime).run_once()
    assert stored(runtime) == {}
    clock.advance(timedelta(seconds=1))
    worker(runtime).run_once()
    output = stored(runtime)[key(1)]
    assert ("input" in output, "output" in output) == (False, False)
    # Content that comes later still cannot change what was stored: it is reported as late.
    r = send_logs(client, cast, *chat_logs(1))
    assert partial(r).rejected_log_records == 3
    assert "arrived after output" in partial(r).error_message
    assert "TRIPWIRE_OTLP_JOIN_WINDOW_S" in partial(r).error_message


def test_log_records_whose_span_never_comes_are_forgotten_after_the_window(
    client: TestClient, cast: Cast, runtime: Runtime, clock: ManualClock
) -> None:
    send_logs(client, cast, *chat_logs(1))
    clock.advance(WINDOW + timedelta(seconds=1))
    worker(runtime).run_once()
    assert pending(runtime) == (0, 0)
    assert stored(runtime) == {}


def test_records_waiting_for_a_held_span_are_not_forgotten(
    client: TestClient, cast: Cast, runtime: Runtime, clock: ManualClock
) -> None:
    send_logs(client, cast, chat_logs(1)[0])
    clock.advance(WINDOW - timedelta(seconds=1))
    send_span(client, cast, span(1, BARE_CHAT))  # the span came late, the choice later still
    clock.advance(timedelta(seconds=5))
    worker(runtime).run_once()  # the record's own window ended: it stays with its span
    send_logs(client, cast, *chat_logs(1)[1:])
    assert stored(runtime)[key(1)]["input"].startswith("system: Be brief.")


def test_resending_an_export_has_no_second_effect(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    records = chat_logs(1)
    send_logs(client, cast, *records[:2])
    r = send_logs(client, cast, *records[:2])
    assert (r.headers["tripwire-accepted"], r.headers["tripwire-duplicates"]) == ("0", "2")
    send_logs(client, cast, records[2])
    send_span(client, cast, span(1, BARE_CHAT))
    again = send_span(client, cast, span(1, BARE_CHAT))
    assert again.headers["tripwire-duplicates"] == "1"
    r = send_logs(client, cast, *records)  # a retry after the join: still just duplicates
    assert (r.headers["tripwire-duplicates"], partial(r).rejected_log_records) == ("3", 0)
    assert len(stored(runtime)) == 1
    assert stored(runtime)[key(1)]["input"].count("Be brief.") == 1


def test_the_join_survives_a_new_process(
    client: TestClient, cast: Cast, runtime: Runtime, db_url: str
) -> None:
    send_span(client, cast, span(1, BARE_CHAT))
    # Another process (a restart) receives the content: the held output is in the database.
    other = Runtime.open(runtime.settings, TripwireConfig(), runtime.clock)
    try:
        with TestClient(_app(other)) as second:
            send_logs(second, cast, *chat_logs(1))
    finally:
        other.close()
    assert stored(runtime)[key(1)]["output"] == "30 days."


def _app(runtime: Runtime) -> Any:
    from tripwire.api.app import create_app

    return create_app(runtime, background=False)


def test_evaluation_records_become_scores_of_their_output(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    evaluation = {
        "gen_ai.evaluation.name": "relevance",
        "gen_ai.evaluation.score.value": 0.75,
        "gen_ai.evaluation.explanation": "on topic",
    }
    send_span(client, cast, span(1, CHAT))  # content on the span: stored at once
    send_logs(client, cast, log(1, "gen_ai.evaluation.result", attrs=evaluation))
    send_span(client, cast, span(2, BARE_CHAT))  # held: its score waits with it
    send_logs(client, cast, log(2, "gen_ai.evaluation.result", attrs=evaluation))
    send_logs(client, cast, *chat_logs(2))
    scores = [e for e in stored(runtime).values() if e["type"] == "score"]
    assert sorted(s["output_id"] for s in scores) == [key(1), key(2)]
    assert {(s["name"], s["value"], s["use_case"]) for s in scores} == {
        ("relevance", 0.75, "support-chat")
    }


def test_an_evaluation_outside_its_span_finds_the_output_by_response_id(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    send_span(client, cast, span(1, CHAT))
    by_id = {
        "gen_ai.evaluation.name": "helpfulness",
        "gen_ai.evaluation.score.label": "pass",
        "gen_ai.response.id": "chatcmpl-1",
    }
    unknown = {**by_id, "gen_ai.response.id": "chatcmpl-404"}
    bad = {"gen_ai.evaluation.name": "stars", "gen_ai.evaluation.score.value": 4.0}
    r = send_logs(
        client,
        cast,
        log(None, "gen_ai.evaluation.result", attrs=by_id),
        log(None, "gen_ai.evaluation.result", attrs=unknown),
        log(1, "gen_ai.evaluation.result", attrs=bad),
    )
    assert partial(r).rejected_log_records == 2
    assert "chatcmpl-404" in partial(r).error_message
    assert "value: Input should be less than or equal to 1" in partial(r).error_message
    scores = [e for e in stored(runtime).values() if e["type"] == "score"]
    assert [(s["output_id"], s["value"]) for s in scores] == [(key(1), 1.0)]


def test_an_evaluation_of_an_output_with_a_long_id_is_refused_alone(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    # The score's id is the output's id and the record's: past the id limit for an output sent
    # with a long id, it failed validation after the placeholder's passed (a 500, the export
    # lost and retried for ever).
    long_id = "o" * 128
    output = {
        "type": "output",
        "id": long_id,
        "ts": "2026-11-18T08:26:40Z",
        "use_case": "support-chat",
        "model": "m",
        "attributes": {"gen_ai.response.id": "chatcmpl-long"},
    }
    r = client.post("/v1/events", json={"events": [output]}, headers=cast.auth("ingest"))
    assert r.status_code == 202, r.text
    by_id = {
        "gen_ai.evaluation.name": "helpfulness",
        "gen_ai.evaluation.score.label": "pass",
        "gen_ai.response.id": "chatcmpl-long",
    }
    send_span(client, cast, span(1, CHAT))
    r = send_logs(
        client,
        cast,
        log(None, "gen_ai.evaluation.result", attrs=by_id),
        log(1, "gen_ai.evaluation.result", attrs=by_id),
    )
    assert partial(r).rejected_log_records == 1
    scores = [e for e in stored(runtime).values() if e["type"] == "score"]
    assert [s["output_id"] for s in scores] == [key(1)]


def test_content_without_a_span_context_and_other_records(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    r = send_logs(
        client,
        cast,
        log(None, "gen_ai.user.message", {"content": "hi"}),
        log(1, "http.request", {"url": "/"}),
    )
    assert partial(r).rejected_log_records == 1
    assert "no trace and span id" in partial(r).error_message
    assert r.headers["tripwire-ignored-records"] == "1"


def test_otlp_json_with_hex_ids_and_the_older_event_name_attribute(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    send_span(client, cast, span(1, BARE_CHAT))
    records = chat_logs(1)
    for record in records:  # older SDKs name the event in an attribute
        record.attributes.add(key="event.name").value.string_value = record.event_name
        record.ClearField("event_name")
    data = json_format.MessageToDict(logs_request(*records))
    for resource in data["resourceLogs"]:
        for scope in resource["scopeLogs"]:
            for record in scope["logRecords"]:
                record["traceId"] = TRACE.hex()
                record["spanId"] = (1).to_bytes(8, "big").hex()
    r = client.post(
        "/v1/otlp/logs",
        content=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **cast.auth("ingest")},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert stored(runtime)[key(1)]["output"] == "30 days."


def test_errors_are_those_of_every_ingest_route(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    body = logs_request(*chat_logs(1)).SerializeToString()
    assert client.post("/v1/otlp/logs", content=body, headers=PROTOBUF).status_code == 401
    headers = {**PROTOBUF, **cast.auth("read")}
    assert client.post("/v1/otlp/logs", content=body, headers=headers).status_code == 403
    r = post(client, cast, "/v1/otlp/logs", body, **{"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = post(client, cast, "/v1/otlp/logs", b"\xff\x00garbage")
    assert r.status_code == 400
    assert "logs export" in r.json()["error"]
    runtime.settings.max_batch_events = 2
    assert post(client, cast, "/v1/otlp/logs", body).status_code == 413
    runtime.settings.max_batch_events = 10_000
    with runtime.admission.slot():
        runtime.admission.limit = 1
        r = post(client, cast, "/v1/otlp/logs", body)
    assert (r.status_code, r.headers["retry-after"]) == (429, "1")
    assert pending(runtime) == (0, 0)


def test_a_full_join_refuses_more_records_with_429_and_releases_spans_at_once(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    runtime.settings.otlp_join_max_pending = 2
    send_logs(client, cast, *chat_logs(1)[:2])
    r = post(client, cast, "/v1/otlp/logs", logs_request(*chat_logs(2)).SerializeToString())
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    assert pending(runtime) == (0, 2)  # nothing of the refused export was kept
    send_span(client, cast, span(3, BARE_CHAT), span(4, BARE_CHAT), span(5, BARE_CHAT))
    assert pending(runtime)[0] == 2
    assert set(stored(runtime)) == {key(5)}  # no room to wait: stored without content


def test_held_outputs_are_not_seen_until_released(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    send_span(client, cast, span(1, BARE_CHAT))
    r = client.get("/v1/outputs", headers=cast.auth("read"))
    assert r.json()["outputs"] == []
    send_logs(client, cast, *chat_logs(1))
    [output] = client.get("/v1/outputs", headers=cast.auth("read")).json()["outputs"]
    assert output["id"] == key(1)
    end = datetime.fromtimestamp(T_END / 1e9, UTC)  # the span's end is the output's time
    assert output["ts"] == end.isoformat().replace("+00:00", "Z")


def test_spans_and_records_sent_concurrently_in_any_order_all_join(
    runtime: Runtime, cast: Cast
) -> None:
    import random
    import threading

    import httpx

    from tests.live import live_server

    calls = 60
    bodies = [("/v1/otlp/traces", scoped(request(span(n, BARE_CHAT))).SerializeToString())
              for n in range(1, calls + 1)]  # fmt: skip
    # A call's records leave together, in the order they were emitted (one exporter batch);
    # spans, record batches and calls interleave at random across four senders.
    bodies += [
        ("/v1/otlp/logs", logs_request(*chat_logs(n)).SerializeToString())
        for n in range(1, calls + 1)
    ]
    random.Random(4).shuffle(bodies)
    failures: list[str] = []
    with live_server(runtime) as url:

        def send(share: list[tuple[str, bytes]]) -> None:
            headers = {**PROTOBUF, **cast.auth("ingest")}
            with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
                for path, body in share:
                    while (r := http.post(path, content=body)).status_code == 429:
                        pass  # the admission limit: retry, as exporters do
                    if r.status_code != 200 or partial_of(path, r):
                        failures.append(f"{path} {r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=send, args=(bodies[i::4],)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert failures == []
    outputs = {k: v for k, v in stored(runtime).items() if v["type"] == "output"}
    assert len(outputs) == calls
    assert all(o.get("output") == "30 days." for o in outputs.values())
    assert pending(runtime) == (0, 0)


def partial_of(path: str, response: Any) -> bool:
    if path.endswith("logs"):
        return bool(partial(response).rejected_log_records)
    return False


def test_a_record_whose_content_holds_a_nul_is_refused_alone(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    """PostgreSQL stores no NUL in text or jsonb: such a record failed the whole export there
    (a 500, on every retry), and on SQLite its output later lost all its content at the join
    (validation refuses a NUL). Refused alone, the sender is told and the rest joins."""
    system, user, choice = chat_logs(1, "30\x00days")
    r = send_logs(client, cast, system, user, choice)
    assert r.headers["tripwire-accepted"] == "2"
    assert partial(r).rejected_log_records == 1
    assert "NUL" in partial(r).error_message
    send_logs(client, cast, chat_logs(1)[2])  # the sender sends it again, fixed
    send_span(client, cast, span(1, BARE_CHAT))
    output = stored(runtime)[key(1)]
    assert output["input"] == "system: Be brief.\nuser: What is the refund window?"
    assert output["output"] == "30 days."
