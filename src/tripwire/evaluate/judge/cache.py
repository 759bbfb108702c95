"""Judge verdicts cached by a hash of (model, messages): the same question is paid once."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tripwire.evaluate.judge.verdict import Verdict
from tripwire.store.tables.evaluate import JudgeCacheRow


def cache_key(model: str, messages: list[dict[str, str]]) -> str:
    blob = json.dumps([model, messages], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()


def cached(session: Session, key: str) -> Verdict | None:
    row = session.get(JudgeCacheRow, key)
    if row is None:
        return None
    data = row.verdict
    return Verdict(float(data["score"]), data.get("label"), data.get("explanation"))


def remember(session: Session, key: str, model: str, verdict: Verdict, now: datetime) -> None:
    data = {"score": verdict.score, "label": verdict.label, "explanation": verdict.explanation}
    try:
        with session.begin_nested():
            session.add(JudgeCacheRow(key=key, model=model[:256], verdict=data, created_at=now))
    except IntegrityError:
        pass  # another worker stored the same verdict first
