"""A generated-request fuzzer (schemathesis) over the OpenAPI document, with an admin token:
no answer is a 5xx, and every answer matches the document (status code, media type, body
schema, headers). Where a request the document calls valid must also be accepted, that is
checked too, except where the rule that refuses it cannot be written in a JSON Schema (listed
below with the reason); a request the document calls invalid must be refused with a 4xx.

Deterministic (derandomized, no example database) and bounded: at most `EXAMPLES` per operation
and mode (valid, invalid), one test per operation and mode so `pytest -n 2` spreads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, cast

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi import checks

from tests.conftest import T0
from tripwire.api.app import create_app
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.clock import ManualClock
from tripwire.runtime.wiring import Runtime
from tripwire.store.tokens import create_token

# 20 in CI (about 40 s of CPU for both modes); deeper runs: TRIPWIRE_FUZZ_EXAMPLES=100.
EXAMPLES = int(os.environ.get("TRIPWIRE_FUZZ_EXAMPLES", "20"))
# Only the routes, to name the operations at collection; each test builds a real app.
DOCUMENT = create_app(cast(Runtime, None), background=False).openapi()
OPERATIONS = [(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item]
# Operations whose document leaves something to break (a body or a query parameter): the
# others (no input, or only a free-form path segment) have no invalid request to generate.
NEGATABLE = [
    (method, path)
    for method, path in OPERATIONS
    if "requestBody" in DOCUMENT["paths"][path][method.lower()]
    or any(
        p["in"] == "query" for p in DOCUMENT["paths"][path][method.lower()].get("parameters", [])
    )
]
# Requests that fit the document's schema, yet are refused by a rule the schema cannot state.
BEYOND_THE_SCHEMA = {
    ("POST", "/v1/events"): "each event's own rules and the ts window around now (events.md)",
    ("POST", "/v1/otlp/traces"): "the OTLP export format, referenced rather than restated",
    ("POST", "/v1/alerts/alertmanager"): "the Alertmanager webhook format, referenced",
    ("POST", "/v1/alerts/pagerduty"): "the PagerDuty Events API v2 format, referenced",
    ("PUT", "/v1/flags/{key}"): "a new flag needs a value of its kind (flags.md)",
    ("GET", "/ack/{token}"): "the token must carry a valid signature",
    ("POST", "/ack/{token}"): "the token must carry a valid signature",
    ("GET", "/v1/incidents"): "`cursor` must be one the API handed out",
    ("GET", "/v1/outputs"): "`cursor` must be one the API handed out",
    ("POST", "/v1/otlp/logs"): "the OTLP export format, referenced rather than restated",
    ("GET", "/v1/oncall/{schedule}"): "`to` must be after `from`, at most a year later",
    ("POST", "/v1/status-page/maintenance"): "a future window of at most 7 days on known "
    "components, with text that is not blank",
    ("POST", "/status/subscribers"): "exactly one of a real e-mail address or a public http(s) URL",
    ("POST", "/v1/incidents/{ident}/eval-cases"): "`output_id` must name a stored output",
}
RESPONSE_CHECKS = [
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """One app per test process: what one operation stores, the next ones may meet."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'tw.db'}"
    runtime = Runtime.open(
        Settings(database_url=url, workers=False), TripwireConfig(), ManualClock(T0)
    )
    with runtime.db.session() as session:
        admin = create_token(session, "fuzzer", ["admin"], T0)[1]
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime, background=False))
    # A text holding a NUL fits every schema, yet every route refuses it (no database stores it).
    schema.config.generation.update(allow_x00=False)
    yield schema, admin
    runtime.close()


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_api_answers_as_documented(fuzzed: tuple[Any, str], method: str, path: str) -> None:
    excluded = [checks.positive_data_acceptance] if (method, path) in BEYOND_THE_SCHEMA else []
    fuzz(fuzzed, method, path, GenerationMode.POSITIVE, RESPONSE_CHECKS, excluded)


@pytest.mark.parametrize(("method", "path"), NEGATABLE)
def test_requests_outside_the_document_are_refused_as_documented(
    fuzzed: tuple[Any, str], method: str, path: str
) -> None:
    """Requests that break the document (wrong types, missing fields, values out of range):
    a documented 4xx, never a 2xx or a 5xx."""
    extra = [*RESPONSE_CHECKS, checks.negative_data_rejection]
    fuzz(fuzzed, method, path, GenerationMode.NEGATIVE, extra, [])


def fuzz(
    fuzzed: tuple[Any, str],
    method: str,
    path: str,
    mode: GenerationMode,
    additional: list[Any],
    excluded: list[Any],
) -> None:
    schema, admin = fuzzed
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            headers={"Authorization": f"Bearer {admin}"},
            additional_checks=additional,
            excluded_checks=excluded,
        )

    run()
