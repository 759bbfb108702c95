"""POST /v1/otlp/traces with attribute values of unexpected types: stored, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from tests.conftest import Cast
from tests.otlp_build import CHAT, request, span
from tripwire.runtime.wiring import Runtime
from tripwire.store.events import counts_by_type


def test_an_operation_name_given_as_an_array_or_a_map_is_stored_as_an_output(
    client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    body = request(
        span(1, {**CHAT, "gen_ai.operation.name": ["chat"]}),
        span(2, {**CHAT, "gen_ai.operation.name": {"name": "chat"}}),
    ).SerializeToString()
    headers = {"Content-Type": "application/x-protobuf", **cast.auth("ingest")}
    r = client.post("/v1/otlp/traces", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert not ExportTraceServiceResponse.FromString(r.content).HasField("partial_success")
    with runtime.db.session() as session:
        assert counts_by_type(session) == {"output": 2}
