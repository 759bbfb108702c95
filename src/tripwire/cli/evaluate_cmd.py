"""`tripwire classify-tickets` and `tripwire tickets train`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tripwire.cli.common import ConfigOption, config_or_exit, err, fail, settings_or_exit
from tripwire.evaluate.tickets.classifier import classify
from tripwire.evaluate.tickets.model import ModelFileError

tickets_app = typer.Typer(help="Support-ticket classification.", no_args_is_help=True)
CHUNK = 1000


def _read_tickets(path: Path) -> list[tuple[Any, str, str | None]]:
    problems: list[str] = []
    tickets: list[tuple[Any, str, str | None]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not valid JSON: {exc.msg}")
            continue
        if not isinstance(data, dict):
            problems.append(f"line {number}: must be a JSON object with id and text")
            continue
        ticket_id, text, subject = data.get("id"), data.get("text"), data.get("subject")
        if not isinstance(ticket_id, str | int) or isinstance(ticket_id, bool) or ticket_id == "":
            problems.append(f"line {number}: id must be a non-empty string or number")
        elif not isinstance(text, str):
            problems.append(f"line {number} (id {ticket_id!r}): text must be a string")
        elif subject is not None and not isinstance(subject, str):
            problems.append(f"line {number} (id {ticket_id!r}): subject must be a string")
        else:
            tickets.append((ticket_id, text, subject))
    if problems:
        shown = problems[:50]
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        fail(f"{path} has bad tickets; nothing was classified:\n  " + "\n  ".join(shown) + more)
    return tickets


def classify_tickets(
    file: Annotated[
        Path, typer.Argument(help="tickets, one JSON object per line: id, text, subject?")
    ],
    config: ConfigOption = None,
) -> None:
    """Print {"id", "topic", "confidence"} for each ticket, one JSON object per line."""
    if not file.is_file():
        fail(f"{file}: no such file")
    model_path = config_or_exit(settings_or_exit(), config).evaluate.tickets.model
    tickets = _read_tickets(file)
    for start in range(0, len(tickets), CHUNK):
        chunk = tickets[start : start + CHUNK]
        try:
            predictions = classify([(t, s) for _, t, s in chunk], model_path)
        except ModelFileError as exc:
            fail(f"evaluate.tickets.model: {exc}")
        for (ticket_id, _, _), p in zip(chunk, predictions, strict=True):
            typer.echo(json.dumps({"id": ticket_id, "topic": p.topic, "confidence": p.confidence}))


@tickets_app.command("train")
def train(
    labelled: Annotated[Path, typer.Argument(help="CSV with header text,subject,topic")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="where to write the model (JSON)")
    ] = Path("tripwire-tickets-model.json"),
) -> None:
    """Retrain the ticket classifier on your own labelled tickets; reports held-out accuracy."""
    if not labelled.is_file():
        fail(f"{labelled}: no such file")
    # Imported here: training needs scikit-learn, which takes seconds to import.
    from tripwire.evaluate.tickets.train import LabelledDataError, train_and_report

    try:
        model, metrics = train_and_report(labelled, name=labelled.stem)
    except LabelledDataError as exc:
        fail(str(exc))
    try:
        model.save(out)
    except OSError as exc:
        fail(f"cannot write {out}: {exc}")
    err.print(
        f"held-out split: {metrics['test']} tickets, accuracy {metrics['accuracy']:.3f}, "
        f"macro-F1 {metrics['macro_f1']:.3f} (trained on {metrics['train']}); final model "
        f"trained on all {model.info['trained_on']} tickets"
    )
    err.print(
        f"wrote {out}; use it with `evaluate: {{tickets: {{model: {out}}}}}` in tripwire.yaml"
    )
    typer.echo(json.dumps({"model": str(out), **metrics}))
