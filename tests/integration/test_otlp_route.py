"""POST /v1/otlp/traces: encodings, partial success, limits and errors."""

from __future__ import annotations

import gzip

from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tests.conftest import Cast
from tests.otlp_build import CHAT, key, request, span
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import counts_by_type
from tripwire.store.genai import held_count

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def post(client: TestClient, cast: Cast, body: bytes, **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/v1/otlp/traces", content=body, headers={**PROTOBUF, **cast.auth("ingest"), **headers}
    )


def counts(runtime: Runtime) -> dict[str, int]:
    with runtime.db.session() as session:
        return counts_by_type(session)


def test_a_protobuf_export_gets_a_protobuf_answer(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    r = post(client, cast, request(span(1, CHAT)).SerializeToString())
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/x-protobuf"
    answer = ExportTraceServiceResponse.FromString(r.content)
    assert not answer.HasField("partial_success")
    assert counts(runtime) == {"output": 1}


def test_refused_spans_are_reported_as_partial_success_and_the_rest_is_stored(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    bad_score = {"gen_ai.evaluation.name": "stars", "gen_ai.evaluation.score.value": 4.0}
    long_model = {**CHAT, "gen_ai.response.model": "m" * 300}
    body = request(
        span(1, CHAT, events=[("gen_ai.evaluation.result", bad_score)]),
        span(2, long_model),
        span(3, CHAT),
    ).SerializeToString()
    r = post(client, cast, body)
    assert r.status_code == 200, r.text
    partial = ExportTraceServiceResponse.FromString(r.content).partial_success
    assert partial.rejected_spans == 2
    assert f"span {key(1)}: score {key(1)}-eval0: value:" in partial.error_message
    assert f"span {key(2)}: output {key(2)}: model:" in partial.error_message
    assert counts(runtime) == {"output": 2}
    assert r.headers["tripwire-accepted"] == "2"


def test_a_gzip_json_export_is_accepted(client: TestClient, cast: Cast, runtime: Runtime) -> None:
    body = (
        '{"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", '
        '"value": {"stringValue": "svc"}}]}, "scopeSpans": [{"spans": [{'
        '"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", '
        '"name": "chat m", "kind": 3, "startTimeUnixNano": "1544712660000000000", '
        '"endTimeUnixNano": "1544712661000000000", "attributes": [{"key": '
        '"gen_ai.request.model", "value": {"stringValue": "m"}}], "futureField": 1}]}]}]}'
    )
    r = post(
        client,
        cast,
        gzip.compress(body.encode()),
        **{"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {}
    # Stored: a span without content waits (durably) for content sent as log records.
    assert r.headers["tripwire-accepted"] == "1"
    with runtime.db.session() as session:
        assert held_count(session) == 1


def test_an_unknown_media_type_is_415(client: TestClient, cast: Cast) -> None:
    r = post(client, cast, b"x", **{"Content-Type": "text/plain"})
    assert r.status_code == 415
    assert "application/x-protobuf" in r.json()["error"]


def test_garbage_is_400(client: TestClient, cast: Cast) -> None:
    r = post(client, cast, b"\xff\xff\xff")
    assert r.status_code == 400
    assert "protobuf" in r.json()["error"]


def test_an_export_mapping_to_too_many_events_is_413(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    runtime.settings.max_batch_events = 2
    r = post(client, cast, request(span(1, CHAT), span(2, CHAT), span(3, CHAT)).SerializeToString())
    assert r.status_code == 413
    assert "at most 2" in r.json()["error"]
    assert counts(runtime) == {}


def test_a_saturated_server_refuses_traces_with_429(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    with runtime.admission.slot():
        runtime.admission.limit = 1
        r = post(client, cast, request(span(1, CHAT)).SerializeToString())
    assert r.status_code == 429
    assert r.headers["retry-after"] == "1"


def test_an_evaluation_naming_a_response_id_that_holds_a_nul_is_refused_alone(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    # No stored output holds a NUL, and PostgreSQL takes none as a query parameter: looked up,
    # the id failed the whole export there (a 500, retried for ever) and was refused on SQLite.
    score = {
        "gen_ai.evaluation.name": "q",
        "gen_ai.evaluation.score.value": 1.0,
        "gen_ai.response.id": "chatcmpl-\x00",
    }
    body = request(span(1, CHAT), span(5, {}, events=[("gen_ai.evaluation.result", score)]))
    r = post(client, cast, body.SerializeToString())
    assert r.status_code == 200, r.text
    partial = ExportTraceServiceResponse.FromString(r.content).partial_success
    assert partial.rejected_spans == 1
    assert f"span {key(5)}:" in partial.error_message
    assert counts(runtime) == {"output": 1}
