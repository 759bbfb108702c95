"""Evaluate benchmarks: built-in evaluator throughput and ticket classifier accuracy.

Usage: PYTHONPATH=src python benchmarks/evaluate.py [--outputs 3000] [--skip-pipeline]
       [--tickets-only] [--skip-blind-test]

Prints outputs/s per built-in evaluator and for all together (one process, one core), the
evaluate stage through replay on SQLite, and the ticket classifier's accuracy and macro-F1 on the
hand-written and blind ticket sets (benchmarks/data/README.md), each against reference baselines
computed in the same run (a trivial evaluator; majority-class, keyword-only and templates-only
classifiers). The blind test set is never used for training or tuning; `--skip-blind-test` leaves
it out altogether, for runs that tune on the blind dev set (its held-out row refits the shipped
configuration without the dev tickets).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from tripwire.config.evaluate import EvaluateConfig
from tripwire.config.file import TripwireConfig
from tripwire.config.settings import Settings
from tripwire.domain.events import EVENT_ADAPTER
from tripwire.evaluate.protocol import EvalInput, EvalResult, Evaluator
from tripwire.evaluate.registry import create
from tripwire.evaluate.stage import EvaluateStage
from tripwire.evaluate.tickets.classifier import (
    builtin_dataset,
    builtin_written,
    load_classifier,
)
from tripwire.evaluate.tickets.keywords import keyword_topic
from tripwire.evaluate.tickets.model import TicketModel
from tripwire.evaluate.tickets.topics import TOPICS
from tripwire.evaluate.tickets.train import fit, read_labelled, train_builtin
from tripwire.pipeline.replay import replay
from tripwire.store.db import Database
from tripwire.store.migrate import upgrade

HERE = Path(__file__).parent
WORDS = [
    "order",
    "refund",
    "delivery",
    "account",
    "invoice",
    "warranty",
    "router",
    "password",
    "policy",
    "customer",
    "support",
    "days",
    "shipping",
    "return",
    "payment",
    "subscription",
    "plan",
    "update",
    "device",
    "battery",
    "screen",
]


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 16))
    return f"The {' '.join(words)} takes {rng.randint(1, 90)} days."


def make_outputs(n: int, seed: int = 3) -> list[EvalInput]:
    rng = random.Random(seed)
    items = []
    for _ in range(n):
        context = tuple(" ".join(_sentence(rng) for _ in range(rng.randint(3, 8))) for _ in "ab")
        kind = rng.random()
        if kind < 0.1:
            output = "I'm sorry, but I can't help with that request."
        elif kind < 0.15:
            output = "Contact me at jane.doe@example.com or 415-555-0132. " + _sentence(rng)
        else:
            output = " ".join(_sentence(rng) for _ in range(rng.randint(1, 6)))
        items.append(EvalInput(output, "When does my " + rng.choice(WORDS) + " arrive?", context))
    return items


class _Length:
    """The reference floor: an evaluator that only measures length."""

    name = "length"

    def evaluate(self, item: EvalInput) -> EvalResult:
        return EvalResult(self.name, min(len(item.output) / 1000, 1.0))


def rate(evaluators: list[Evaluator], items: list[EvalInput]) -> tuple[float, float]:
    """Outputs per CPU-second of this process (one core's worth, whatever else the machine
    runs) and per wall-clock second (which on a shared machine measures the neighbours too)."""
    cpu, wall = time.process_time(), time.perf_counter()
    for item in items:
        for evaluator in evaluators:
            evaluator.evaluate(item)
    n = len(items)
    return n / (time.process_time() - cpu), n / (time.perf_counter() - wall)


def throughput(n: int) -> dict[str, tuple[float, float]]:
    items = make_outputs(n)
    figures = {"baseline:length-only": rate([_Length()], items)}
    for name in ("quality", "groundedness", "safety"):
        figures[name] = rate([create(name)], items)
    figures["all built-ins"] = rate(
        [create(n) for n in ("quality", "groundedness", "safety")], items
    )
    return figures


def pipeline_rate(n: int) -> dict[str, float]:
    """Outputs/s through `replay` on SQLite, without stages and with the evaluate stage (all
    outputs sampled): what scoring costs in a real replay, database writes included."""
    items = make_outputs(n, seed=9)
    t0 = datetime(2026, 11, 20, tzinfo=UTC)
    events = [
        EVENT_ADAPTER.validate_python(
            {
                "id": f"o{i}",
                "type": "output",
                "ts": (t0 + timedelta(seconds=i)).isoformat(),
                "use_case": "bench",
                "model": "m",
                "input": item.input,
                "output": item.output,
                "context": list(item.context),
            }
        )
        for i, item in enumerate(items)
    ]
    config = TripwireConfig(evaluate=EvaluateConfig(sample_rate=1.0))
    results = {}
    for label, stages in (
        ("baseline:replay without stages", []),
        ("replay with evaluate stage (rate 1.0)", [EvaluateStage(config.evaluate)]),
    ):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(database_url=f"sqlite:///{tmp}/b.db", sqlite_synchronous="NORMAL")
            db = Database(settings.database_url, sqlite_synchronous="NORMAL")
            upgrade(db.engine)
            start = time.perf_counter()
            replay(db, events, stages, config, settings)  # type: ignore[arg-type]
            results[label] = n / (time.perf_counter() - start)
            db.dispose()
    return results


def _scores(truth: list[str], predicted: list[str]) -> tuple[float, float]:
    return (
        float(accuracy_score(truth, predicted)),
        float(f1_score(truth, predicted, average="macro", zero_division=0)),
    )


def confusion_lines(truth: list[str], predicted: list[str]) -> list[str]:
    """Counts only (true topic by row, predicted topic by column): what may be reported of the
    blind test set without reading its texts."""
    matrix = confusion_matrix(truth, predicted, labels=list(TOPICS))
    short = [t[:12] for t in TOPICS]
    corner = "true / predicted"
    lines = [f"    {corner:24}" + "".join(f"{s:>14}" for s in short)]
    for topic, row in zip(TOPICS, matrix, strict=True):
        lines.append(f"    {topic:24}" + "".join(f"{int(c):14d}" for c in row))
    return lines


def classifier(
    score_test: bool = True,
) -> tuple[list[tuple[str, str, int, float, float]], list[str]]:
    """The shipped model on every labelled set, beside three references fitted or made in the
    same run: the majority class, the keyword priors alone, and the same model trained on the
    generated templates only (what shipped before the written tickets). The blind dev set is
    also scored by the shipped configuration refitted without it: a held-out figure on the
    writer of the test set that may be looked at and tuned on."""
    rows = []
    confusion: list[str] = []
    data = read_labelled(builtin_dataset())
    majority = Counter(data.topics).most_common(1)[0][0]
    templates_only = fit(data.texts, data.topics, "templates only")
    baselines: dict[str, Callable[[str], str]] = {
        "baseline: majority class": lambda _t: majority,
        "baseline: keywords only": lambda t: keyword_topic(t)[0],
        "baseline: templates only": lambda t: templates_only.predict([t])[0].topic,
    }
    shipped = load_classifier()
    without_dev = train_builtin(builtin_dataset(), builtin_written(), "dev", leave_out="blind-dev")
    # The shipped model is trained on the templates plus tickets_written.csv, which holds the
    # hand-written set and the blind dev set: figures on those two are training figures. The
    # blind test set (written without seeing the templates, never used for tuning) and the older
    # blind set are held out.
    sets: list[tuple[str, str, str, TicketModel]] = [
        ("hand-written (train)", "tickets_handwritten.csv", "shipped model", shipped),
        ("blind dev (train)", "tickets_blind_dev.csv", "shipped model", shipped),
        ("blind dev (held out)", "tickets_blind_dev.csv", "refit without dev", without_dev),
        ("old blind (held out)", "tickets_blind.csv", "shipped model", shipped),
    ]
    if score_test:
        sets.append(("BLIND TEST (held out)", "tickets_blind_test.csv", "shipped model", shipped))
    for label, filename, model_name, model in sets:
        extra = read_labelled(HERE / "data" / filename)
        predicted = [p.topic for p in model.predict(extra.texts)]
        rows.append((label, model_name, len(extra.texts), *_scores(extra.topics, predicted)))
        if label.startswith("BLIND TEST"):
            confusion = confusion_lines(extra.topics, predicted)
        if model is not shipped:
            continue  # the references were scored on this set in the row above
        for name, fn in baselines.items():
            acc, f1 = _scores(extra.topics, [fn(t) for t in extra.texts])
            rows.append((label, name, len(extra.texts), acc, f1))
    return rows, confusion


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outputs", type=int, default=3000)
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument("--tickets-only", action="store_true", help="only the ticket classifier")
    parser.add_argument(
        "--skip-blind-test", action="store_true", help="do not score the blind test set"
    )
    args = parser.parse_args()
    report: dict[str, Any] = {}
    if not args.tickets_only:
        print(f"Built-in evaluators, {args.outputs} synthetic outputs, one process:")
        speed = throughput(args.outputs)
        for name, (cpu, wall) in speed.items():
            print(f"  {name:36} {cpu:10.0f} outputs/CPU-s {wall:10.0f} outputs/wall-s")
        report["outputs_per_s"] = {k: {"cpu": c, "wall": w} for k, (c, w) in speed.items()}
        target = speed["all built-ins"][0] >= 500
        verdict = "met" if target else "MISSED"
        print(f"  target >= 500 outputs/s (one core) for all together: {verdict}")
        if not args.skip_pipeline:
            print(f"Replay on SQLite, {args.outputs} outputs:")
            piped = pipeline_rate(args.outputs)
            for name, value in piped.items():
                print(f"  {name:36} {value:10.0f} outputs/s")
            report["replay_outputs_per_s"] = piped
    print("Ticket classifier (accuracy, macro-F1):")
    rows, confusion = classifier(score_test=not args.skip_blind_test)
    for split, name, n, acc, f1 in rows:
        print(f"  {split:22} {name:28} n={n:4}  accuracy {acc:.3f}  macro-F1 {f1:.3f}")
    report["tickets"] = [
        {"split": s, "model": m, "n": n, "accuracy": a, "macro_f1": f} for s, m, n, a, f in rows
    ]
    if args.skip_blind_test:
        print("  blind test set not scored (--skip-blind-test)")
        print(json.dumps(report))
        return
    print("  BLIND TEST confusion of the shipped model (counts only):")
    print("\n".join(confusion))
    blind = next(r for r in rows if r[0].startswith("BLIND TEST") and r[1] == "shipped model")
    met = blind[3] >= 0.92 and blind[4] >= 0.9
    print(
        f"  target on the blind test set: accuracy >= 0.92 and macro-F1 >= 0.9: "
        f"{'met' if met else 'MISSED'} ({blind[3]:.3f}, {blind[4]:.3f})"
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
