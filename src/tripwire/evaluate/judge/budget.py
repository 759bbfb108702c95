"""The judge's spend per clock hour, and the cap that stops it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tripwire.config.evaluate import JudgeConfig
from tripwire.evaluate.judge.client import Usage
from tripwire.store.tables.evaluate import JudgeSpendRow


def hour_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def cost_of(usage: Usage, config: JudgeConfig) -> float:
    """Dollars: tokens times the configured prices, or per request when usage is unknown."""
    prices = config.prices
    if usage.has_tokens:
        return (
            usage.input_tokens * prices.input_per_1k + usage.output_tokens * prices.output_per_1k
        ) / 1000 + usage.requests * prices.per_request
    return usage.requests * prices.per_request


def within_budget(session: Session, config: JudgeConfig, now: datetime) -> bool:
    """False once this hour's requests or dollars reached the cap."""
    row = session.get(JudgeSpendRow, hour_of(now))
    if row is None:
        return config.max_requests_per_hour != 0 and config.max_cost_per_hour != 0
    if config.max_requests_per_hour is not None and row.requests >= config.max_requests_per_hour:
        return False
    return config.max_cost_per_hour is None or row.cost < config.max_cost_per_hour


def record_spend(session: Session, config: JudgeConfig, usage: Usage, now: datetime) -> None:
    """Add `usage` to this hour's row (created on first use; concurrent creators retry)."""
    cost = cost_of(usage, config)
    values = {
        "requests": JudgeSpendRow.requests + usage.requests,
        "input_tokens": JudgeSpendRow.input_tokens + usage.input_tokens,
        "output_tokens": JudgeSpendRow.output_tokens + usage.output_tokens,
        "cost": JudgeSpendRow.cost + cost,
    }
    hour = hour_of(now)
    stmt = update(JudgeSpendRow).where(JudgeSpendRow.hour == hour).values(**values)
    if session.execute(stmt).rowcount:  # type: ignore[attr-defined]
        return
    try:
        with session.begin_nested():
            session.add(
                JudgeSpendRow(
                    hour=hour,
                    requests=usage.requests,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cost=cost,
                )
            )
    except IntegrityError:
        session.execute(stmt)
