"""The classifier in use: the built-in model, or the retrained one named in the config."""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path

from tripwire.evaluate.tickets.model import (
    ModelFileError,
    Prediction,
    TicketModel,
    load_model_file,
)
from tripwire.evaluate.tickets.topics import ticket_text

BUILTIN_NAME = "builtin"
_lock = threading.Lock()
_cache: dict[str, TicketModel] = {}


def builtin_dataset() -> Path:
    return Path(str(resources.files("tripwire.evaluate.tickets") / "data" / "tickets.csv"))


def builtin_written() -> Path:
    """Tickets written by people, not from templates (see docs/evaluate.md)."""
    return Path(str(resources.files("tripwire.evaluate.tickets") / "data" / "tickets_written.csv"))


def builtin_model_path() -> Path:
    return Path(str(resources.files("tripwire.evaluate.tickets") / "data" / "model.json"))


def load_classifier(path: Path | None = None) -> TicketModel:
    """The model at `path` (from `tripwire tickets train`), or the built-in one; loaded once.

    The built-in model ships as JSON; if it is missing it is trained from the shipped data set
    at first use. Raises ModelFileError for a bad `path`.
    """
    key = str(path) if path is not None else BUILTIN_NAME
    with _lock:
        if key not in _cache:
            _cache[key] = _load(path)
        return _cache[key]


def _load(path: Path | None) -> TicketModel:
    if path is not None:
        return load_model_file(path)
    try:
        return load_model_file(builtin_model_path())
    except ModelFileError:
        from tripwire.evaluate.tickets.train import train_builtin

        return train_builtin(builtin_dataset(), builtin_written(), BUILTIN_NAME)


def classify(tickets: list[tuple[str, str | None]], path: Path | None = None) -> list[Prediction]:
    """Topic and confidence for each (text, subject)."""
    model = load_classifier(path)
    return model.predict([ticket_text(t, s) for t, s in tickets])
