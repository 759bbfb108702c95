"""An AI product as a new user would build it: the real `openai` client calling a local
OpenAI-compatible server, instrumented one common way and exported with the real OTLP
exporters (traces and logs) to Tripwire; or, for comparison, sending the same calls with the
Tripwire SDK.

Run as a subprocess (each instrumentation patches `openai` for the whole process and reads its
settings from the environment at start):

    python product.py --mode official|openinference|openllmetry|sdk --tripwire URL --token T
        --service NAME --calls N [--order batch|logs-first|spans-first] [--extra Q ...]

Importing it does nothing: the tests use `question`/`answer_for` to know what was asked.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SYSTEM = "You are a helpful support assistant. Be brief."
MODEL = "gpt-4o-mini"
RESPONSE_MODEL = "gpt-4o-mini-2024-07-18"
SLOW_SECONDS = 3.0  # the client gives up after 1 s
GOOD = [
    "You can request a refund within 30 days of purchase from the Orders page.",
    "Open Settings, choose Billing and select the plan you want; the change is immediate.",
    "Your data is exported as a ZIP file that we e-mail to you within an hour.",
    "Two-factor authentication is under Settings, Security. Scan the code with your app.",
    "We ship to the EU, the UK and the US. Delivery takes three to five working days.",
    "Invoices are listed under Billing, History, and each one can be downloaded as a PDF.",
]
# Far longer than the usual answer, and not a loop: the length check, not the loop check.
LONG = " ".join(GOOD) + (
    " Before you change anything, note that refunds go back to the original card, that plan"
    " changes made mid-cycle are prorated to the day, and that exports include attachments"
    " only when you tick the box. Shipping quotes depend on weight; heavy parcels travel by"
    " road. Invoices carry your VAT number once it is saved under company details. If two-"
    "factor codes stop working, check the clock on your phone first. Support replies within"
    " one business day, faster for urgent outages reported through the status page."
)


def question(n: int) -> str:
    """The n-th user question; its number lets the fake server script the answer."""
    topics = ["refund window", "plan change", "data export", "two-factor login", "shipping"]
    return f"Question {n}: how does the {topics[n % len(topics)]} work for my account?"


def answer_for(text: str) -> str:
    """What the fake model answers: mostly good, with the failures quality is meant to catch
    (empty, refusal, loop, wrong language, cut off) and, past warm-up, a few far too long."""
    found = re.search(r"Question (\d+)", text)
    n = int(found.group(1)) if found else 0
    kind = n % 10
    if "EMPTY" in text or kind == 0:
        return ""
    if kind == 1:
        return "I'm sorry, but I can't help with that request."
    if kind == 2:
        return "refund " * 12
    if kind == 3:
        return "Puede solicitar un reembolso en los treinta días siguientes a la compra."
    if kind == 4:
        return "You can request a refund within 30 days of purchase and then"
    if n > 100 and n % 97 == 0:
        return LONG
    return GOOD[n % len(GOOD)]


class FakeOpenAI(BaseHTTPRequestHandler):
    """`POST /v1/chat/completions`: "FAIL" in the question gives a 500, "SLOW" a timeout."""

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        asked = str(body["messages"][-1]["content"])
        if "FAIL" in asked:
            self._send(500, {"error": {"message": "upstream failure", "type": "server_error"}})
            return
        if "SLOW" in asked:
            time.sleep(SLOW_SECONDS)
        text = answer_for(asked)
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(text) // 4,
            "total_tokens": prompt_tokens + len(text) // 4,
        }
        choice = {"index": 0, "message": {"role": "assistant", "content": text}}
        choice["finish_reason"] = "stop"
        self._send(
            200,
            {
                "id": f"chatcmpl-{abs(hash(asked)) % 10**9}",
                "object": "chat.completion",
                "created": 1,
                "model": RESPONSE_MODEL,
                "choices": [choice],
                "usage": usage,
            },
        )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client timed out first


def start_fake() -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"


def telemetry(args: argparse.Namespace) -> tuple[Any, Any]:
    """Tracer and logger providers exporting over OTLP/HTTP to Tripwire."""
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    headers = {"Authorization": f"Bearer {args.token}"}
    resource = Resource.create({"service.name": args.service})
    spans = OTLPSpanExporter(endpoint=f"{args.tripwire}/v1/otlp/traces", headers=headers)
    logs = OTLPLogExporter(endpoint=f"{args.tripwire}/v1/otlp/logs", headers=headers)
    tracer_provider = TracerProvider(resource=resource)
    logger_provider = LoggerProvider(resource=resource)
    if args.order == "logs-first":  # each record leaves as it is emitted, the spans at the end
        logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
        tracer_provider.add_span_processor(BatchSpanProcessor(spans, schedule_delay_millis=60_000))
    elif args.order == "spans-first":  # each span leaves as it ends, the records at the end
        tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(logs, schedule_delay_millis=60_000)
        )
    else:  # as a running product does: both batched, short intervals
        tracer_provider.add_span_processor(BatchSpanProcessor(spans, schedule_delay_millis=200))
        logger_provider.add_log_record_processor(
            BatchLogRecordProcessor(logs, schedule_delay_millis=200)
        )
    return tracer_provider, logger_provider


def instrument(mode: str, tracer_provider: Any, logger_provider: Any) -> None:
    if mode == "official":
        from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

        OpenAIInstrumentor().instrument(
            tracer_provider=tracer_provider, logger_provider=logger_provider
        )
    elif mode == "openinference":
        from openinference.instrumentation.openai import OpenAIInstrumentor as OI

        OI().instrument(tracer_provider=tracer_provider)
    elif mode == "openllmetry":
        from opentelemetry.instrumentation.openai import OpenAIInstrumentor as Traceloop

        Traceloop().instrument(tracer_provider=tracer_provider, logger_provider=logger_provider)
    else:
        raise SystemExit(f"unknown mode {mode}")


def ask(client: Any, text: str) -> Any:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}]
    try:
        return client.chat.completions.create(model=MODEL, messages=messages)
    except Exception as exc:  # the product handles a failed call; the telemetry tells
        return exc


def run_instrumented(args: argparse.Namespace, base_url: str, questions: list[str]) -> None:
    import openai

    tracer_provider, logger_provider = telemetry(args)
    instrument(args.mode, tracer_provider, logger_provider)
    client = openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0, timeout=1.0)
    for text in questions:
        ask(client, text)
    # Flush in the order asked for: the other side is already out.
    first, second = (
        (logger_provider, tracer_provider)
        if args.order == "spans-first"
        else (tracer_provider, logger_provider)
    )
    for provider in (first, second):
        if not provider.force_flush(60_000):
            raise SystemExit("the exporters did not flush in time")
    tracer_provider.shutdown()
    logger_provider.shutdown()


def run_sdk(args: argparse.Namespace, base_url: str, questions: list[str]) -> None:
    """The same calls, logged by hand with the Tripwire SDK (the prompt is the question)."""
    import openai

    import tripwire

    client = openai.OpenAI(base_url=base_url, api_key="sk-test", max_retries=0, timeout=1.0)
    with tripwire.Client(args.tripwire, token=args.token) as sink:
        for text in questions:
            started = time.perf_counter()
            reply = ask(client, text)
            elapsed = (time.perf_counter() - started) * 1000
            sink.log_output(
                args.service,
                reply.model,
                text,
                reply.choices[0].message.content or "",
                input_tokens=reply.usage.prompt_tokens,
                output_tokens=reply.usage.completion_tokens,
                latency_ms=elapsed,
            )
        if not sink.flush(60):
            raise SystemExit("the SDK did not flush in time")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", required=True)
    parser.add_argument("--tripwire", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--calls", type=int, default=0)
    parser.add_argument("--order", default="batch")
    parser.add_argument("--extra", nargs="*", default=[])
    args = parser.parse_args()
    server, base_url = start_fake()
    questions = [question(n) for n in range(1, args.calls + 1)] + list(args.extra)
    try:
        if args.mode == "sdk":
            run_sdk(args, base_url, questions)
        else:
            run_instrumented(args, base_url, questions)
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
