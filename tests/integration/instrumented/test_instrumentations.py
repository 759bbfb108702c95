"""Real instrumentation in: the real `openai` client against a local fake OpenAI-compatible
server, instrumented the three common ways (the official OpenTelemetry instrumentation,
OpenInference, OpenLLMetry), exported with the real OTLP exporters (traces and logs) into a
real `tripwire serve`. Every call must be one output with the right use case, model, input,
output, latency, tokens and status, whichever way it came."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.instrumented import product
from tests.serve_proc import Serve, clean_env
from tripwire.evaluate.capture import (
    OFFICIAL_SETTING,
    OPENINFERENCE_SETTING,
    OPENLLMETRY_SETTING,
)

TOKEN = "tw_instrumented-tests-admin-token-0123456789"
PRODUCT = Path(product.__file__)
ROOT = Path(__file__).resolve().parents[3]
CONFIG = "evaluate:\n  sample_rate: 1.0\n"
CAPTURE_ON = {
    "official": {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"},
    "openinference": {},
    "openllmetry": {"TRACELOOP_TRACE_CONTENT": "true"},
}
CAPTURE_OFF = {
    "official": ({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false"}, OFFICIAL_SETTING),
    "openinference": (
        {"OPENINFERENCE_HIDE_INPUTS": "true", "OPENINFERENCE_HIDE_OUTPUTS": "true"},
        OPENINFERENCE_SETTING,
    ),
    "openllmetry": ({"TRACELOOP_TRACE_CONTENT": "false"}, OPENLLMETRY_SETTING),
}
MODES = list(CAPTURE_ON)


def start_serve(tmp: Path, window: float) -> Serve:
    (tmp / "tripwire.yaml").write_text(CONFIG)
    env = clean_env(
        tmp / "tripwire.db",
        TRIPWIRE_ADMIN_TOKEN=TOKEN,
        TRIPWIRE_CONFIG=str(tmp / "tripwire.yaml"),
        TRIPWIRE_OTLP_JOIN_WINDOW_S=str(window),
    )
    return Serve(env)


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """A long join window: a join that does not complete would only show after 5 minutes,
    so any output seen in time was joined by its content, not released by the clock."""
    server = start_serve(tmp_path_factory.mktemp("long"), window=300)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """A 2-second join window, for outputs whose content never comes."""
    server = start_serve(tmp_path_factory.mktemp("short"), window=2)
    yield server
    server.stop()


def run_product(server: Serve, mode: str, service: str, env: dict[str, str], *args: str) -> None:
    command = [sys.executable, str(PRODUCT), "--mode", mode, "--tripwire", server.url]
    command += ["--token", TOKEN, "--service", service, *args]
    full_env = {**clean_env(Path("unused.db")), **env}
    full_env["PYTHONPATH"] = f"{ROOT / 'src'}"
    done = subprocess.run(
        command, env=full_env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def outputs(server: Serve, use_case: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"use_case": use_case, "limit": 500}
    while True:
        r = httpx.get(f"{server.url}/v1/outputs", params=params, headers=_auth(), timeout=30)
        r.raise_for_status()
        found += r.json()["outputs"]
        if not r.json()["cursor"]:
            return found
        params["cursor"] = r.json()["cursor"]


def wait_for(
    server: Serve, use_case: str, ready: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 120
    while True:
        found = outputs(server, use_case)
        if ready(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready in time: {found}")
        time.sleep(0.25)


def stats(server: Serve) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/v1/stats", headers=_auth(), timeout=30)
    r.raise_for_status()
    body: dict[str, Any] = r.json()
    return body


def quality(output: dict[str, Any]) -> tuple[float, str | None] | None:
    for score in output["scores"]:
        if score["name"] == "quality" and score["source"] == "tripwire:quality":
            return score["value"], score.get("label")
    return None


def scored(expected: int) -> Callable[[list[dict[str, Any]]], bool]:
    """All outputs there, and every completed one with content through evaluation."""

    def ready(found: list[dict[str, Any]]) -> bool:
        done = [o for o in found if o["status"] != "ok" or "output" not in o or quality(o)]
        return len(found) == expected and len(done) == expected

    return ready


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def _by_question(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    by: dict[str, dict[str, Any]] = {}
    for output in found:
        text = output.get("input", "")
        asked = text.rsplit("user: ", 1)[-1]
        by[asked] = output
    return by


CALLS = ["Question 5: what is the refund window?", "EMPTY please", "FAIL now", "SLOW please"]


@pytest.mark.parametrize("mode", MODES)
def test_every_call_is_one_right_output(serve: Serve, mode: str) -> None:
    use_case = f"chat-{mode}"
    run_product(serve, mode, use_case, CAPTURE_ON[mode], "--extra", *CALLS)
    found = wait_for(serve, use_case, scored(len(CALLS)))
    by = _by_question(found)
    assert set(by) == set(CALLS), found
    for output in found:
        assert output["use_case"] == use_case
        assert output["latency_ms"] > 0
        assert output["input"].startswith(f"system: {product.SYSTEM}\nuser: ")
    good, empty = by[CALLS[0]], by["EMPTY please"]
    assert (good["status"], good["model"], good["output"]) == (
        "ok",
        product.RESPONSE_MODEL,
        product.answer_for(CALLS[0]),
    )
    assert good["input_tokens"] > 0
    assert good["output_tokens"] == len(good["output"]) // 4
    assert good["cost"] > 0
    assert quality(good) == (1.0, "ok")
    assert empty["output"] == ""  # the model answered nothing: captured, and empty
    assert quality(empty) == (0.0, "empty")
    failed, slow = by["FAIL now"], by["SLOW please"]
    assert (failed["status"], slow["status"]) == ("error", "timeout")
    assert failed["model"] == slow["model"] == product.MODEL
    assert "output" not in failed
    assert quality(failed) is None
    assert slow["latency_ms"] >= 900  # the client's 1 s timeout


@pytest.mark.parametrize("mode", MODES)
def test_with_content_capture_off_outputs_have_no_content_and_no_quality_score(
    quick: Serve, mode: str
) -> None:
    use_case = f"private-{mode}"
    env, setting = CAPTURE_OFF[mode]
    run_product(quick, mode, use_case, env, "--extra", CALLS[0], "FAIL now")
    wait_for(quick, use_case, lambda found: len(found) == 2)
    # Everything is through the pipeline once the gap count shows the completed call.
    deadline = time.monotonic() + 60
    while stats(quick)["content_not_captured"].get(use_case, {}).get("outputs") != 2:
        assert time.monotonic() < deadline, stats(quick)
        time.sleep(0.25)
    found = outputs(quick, use_case)
    for output in found:
        assert "input" not in output
        assert "output" not in output
        assert output["scores"] == []
    assert {o["status"] for o in found} == {"ok", "error"}
    ok = next(o for o in found if o["status"] == "ok")
    assert (ok["model"], ok["output_tokens"] > 0) == (product.RESPONSE_MODEL, True)
    assert stats(quick)["content_not_captured"][use_case]["setting"] == setting


@pytest.mark.parametrize("order", ["logs-first", "spans-first"])
def test_log_records_join_whether_they_come_before_or_after_their_span(
    serve: Serve, order: str
) -> None:
    use_case = f"order-{order}"
    run_product(
        serve, "official", use_case, CAPTURE_ON["official"], "--calls", "6", "--order", order
    )
    found = wait_for(serve, use_case, scored(6))
    for output in found:
        asked = output["input"].rsplit("user: ", 1)[-1]
        assert output["output"] == product.answer_for(asked)


def test_the_latest_conventions_send_one_operation_details_record(serve: Serve) -> None:
    env = {
        "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "EVENT_ONLY",
    }
    use_case = "chat-latest"
    run_product(serve, "official", use_case, env, "--extra", CALLS[0], "EMPTY please", "FAIL now")
    by = _by_question(wait_for(serve, use_case, scored(3)))
    assert by[CALLS[0]]["output"] == product.answer_for(CALLS[0])
    assert by["EMPTY please"]["output"] == ""
    assert by["FAIL now"]["status"] == "error"


@pytest.mark.slow
def test_a_thousand_official_calls_score_like_the_same_calls_sent_with_the_sdk(
    serve: Serve,
) -> None:
    calls = 1000
    run_product(serve, "official", "same-official", CAPTURE_ON["official"], "--calls", str(calls))
    run_product(serve, "sdk", "same-sdk", {}, "--calls", str(calls))
    official = wait_for(serve, "same-official", scored(calls))
    sdk = wait_for(serve, "same-sdk", scored(calls))
    by_official = {o["input"].rsplit("user: ", 1)[-1]: o for o in official}
    by_sdk = {o["input"]: o for o in sdk}
    assert set(by_official) == set(by_sdk) == {product.question(n) for n in range(1, calls + 1)}
    differ = [q for q in by_sdk if quality(by_official[q]) != quality(by_sdk[q])]
    assert differ == [], [(q, quality(by_official[q]), quality(by_sdk[q])) for q in differ[:5]]
    labels = {quality(o)[1] for o in sdk}  # type: ignore[index]
    # The comparison means something only if the scores vary like real traffic's.
    assert {"ok", "empty", "refusal", "repetition", "wrong_language", "truncated"} <= labels
    assert "too_long" in labels
    for question in by_sdk:
        a, b = by_official[question], by_sdk[question]
        assert (a["output"], a["model"]) == (b["output"], b["model"])
        # The instrumentation leaves a usage count of 0 out (an empty answer's).
        assert (a["input_tokens"], a.get("output_tokens", 0)) == (
            b["input_tokens"],
            b["output_tokens"],
        )
