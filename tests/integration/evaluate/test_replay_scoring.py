from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean

from sqlalchemy import select
from typer.testing import CliRunner

from tripwire.cli.main import app
from tripwire.store.db import Database
from tripwire.store.tables.evaluate import TicketTopicRow
from tripwire.store.tables.events import EventRow

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
CONTEXT = [
    "Orders over $50 ship free. Standard delivery takes 3 to 5 business days.",
    "Refunds are accepted within 30 days. Gift cards cannot be refunded.",
]
GOOD = [
    "Standard delivery takes 3 to 5 business days, and orders over $50 ship free.",
    "Refunds are accepted within 30 days of purchase. Gift cards cannot be refunded.",
    "Your order ships free because it is over $50; expect it in 3 to 5 business days.",
]
REFUSALS = [
    "I'm sorry, but I can't help with that request.",
    "I am unable to assist with questions about orders.",
    "As an AI assistant, I cannot provide that information.",
]


def generate(path: Path) -> None:
    rng = random.Random(4)
    lines = []
    for minute in range(180):
        for k, prompt in enumerate(("p1", "p2", "p3")):
            ts = T0 + timedelta(minutes=minute, seconds=10 * k)
            refuses = prompt == "p3" and rng.random() < 0.3
            answer = rng.choice(REFUSALS if refuses else GOOD)
            lines.append(
                {
                    "id": f"o-{minute}-{prompt}",
                    "type": "output",
                    "ts": ts.isoformat().replace("+00:00", "Z"),
                    "use_case": "support-chat",
                    "model": "gpt-x",
                    "prompt_version": prompt,
                    "input": "When will my order arrive and can I get a refund?",
                    "output": answer,
                    "context": CONTEXT,
                }
            )
    tickets = [
        ("The bot was rude and called me stupid", None),
        ("I was charged twice this month", None),
        ("The site is down, I get 503 errors", None),
        ("Already labelled by the product", "not_ai"),
    ]
    for i, (text, topic) in enumerate(tickets):
        ticket = {
            "id": f"t-{i}",
            "type": "ticket",
            "ts": (T0 + timedelta(minutes=30 + i)).isoformat().replace("+00:00", "Z"),
            "use_case": "support-chat",
            "text": text,
        }
        if topic:
            ticket["topic"] = topic
        lines.append(ticket)
    random.Random(1).shuffle(lines)  # replay sorts by ts itself
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")


def test_replay_scores_outputs_on_event_time_and_a_refusing_prompt_scores_lower(
    tmp_path: Path,
) -> None:
    source = tmp_path / "events.jsonl"
    generate(source)
    url = f"sqlite:///{tmp_path / 'replay.db'}"
    result = CliRunner().invoke(
        app, ["replay", str(source)], env={"TRIPWIRE_DATABASE_URL": url, "TRIPWIRE_CONFIG": None}
    )
    assert result.exit_code == 0, result.output
    db = Database(url)
    with db.session() as session:
        outputs = {
            r.id: r for r in session.scalars(select(EventRow).where(EventRow.type == "output"))
        }
        scores = list(session.scalars(select(EventRow).where(EventRow.type == "score")))
        topics = {r.event_id: r.topic for r in session.scalars(select(TicketTopicRow))}
    db.dispose()

    quality = [s for s in scores if s.payload["source"] == "tripwire:quality"]
    assert {s.payload["source"] for s in scores} == {
        "tripwire:quality",
        "tripwire:groundedness",
        "tripwire:safety",
    }
    assert all(s.origin == "pipeline" for s in scores)
    for s in quality:
        assert s.ts == outputs[s.output_id].ts  # event time, not the wall clock
        # Stored at the replay clock: the latest event time seen, never the wall clock.
        assert s.ts <= s.received_at < s.ts + timedelta(minutes=1)
    by_prompt: dict[str, list[float]] = {}
    for s in quality:
        by_prompt.setdefault(outputs[s.output_id].payload["prompt_version"], []).append(
            s.payload["value"]
        )
    assert all(len(v) >= 60 for v in by_prompt.values())  # the per-segment floor
    means = {p: mean(v) for p, v in by_prompt.items()}
    assert means["p3"] < means["p1"] - 0.15
    assert means["p3"] < means["p2"] - 0.15
    assert topics == {"t-0": "inappropriate_response", "t-1": "not_ai", "t-2": "availability"}


def test_replaying_the_same_file_again_adds_no_scores(tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    generate(source)
    env = {"TRIPWIRE_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "TRIPWIRE_CONFIG": None}
    runner = CliRunner()
    assert runner.invoke(app, ["replay", str(source)], env=env).exit_code == 0
    db = Database(env["TRIPWIRE_DATABASE_URL"])
    with db.session() as session:
        first = len(list(session.scalars(select(EventRow.id).where(EventRow.type == "score"))))
    assert runner.invoke(app, ["replay", str(source)], env=env).exit_code == 0
    with db.session() as session:
        second = len(list(session.scalars(select(EventRow.id).where(EventRow.type == "score"))))
    db.dispose()
    assert first == second > 0
