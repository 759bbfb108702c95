"""Uptime bars: the worst status of each UTC day and Statuspage's downtime weights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tripwire.communicate.history import history
from tripwire.communicate.statuspage import PublicIncident, PublicUpdate

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def incident(*steps: tuple[datetime, dict[str, str]], resolved: datetime | None) -> PublicIncident:
    updates = [PublicUpdate(str(n), "investigating", "x", at, c) for n, (at, c) in enumerate(steps)]
    return PublicIncident("1", "t", "investigating", {}, steps[0][0], steps[-1][0], resolved,
                          tuple(updates))  # fmt: skip


def test_a_partial_outage_across_midnight_counts_30_percent_on_both_days() -> None:
    start = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)
    one = incident(
        (start, {"chat": "partial_outage"}),
        (start + timedelta(hours=2), {"chat": "degraded_performance"}),
        resolved=start + timedelta(hours=4),
    )
    h = history("chat", [one], NOW, days=3)
    assert [d.day.isoformat() for d in h.days] == ["2026-11-18", "2026-11-19", "2026-11-20"]
    assert [d.status for d in h.days] == ["partial_outage", "partial_outage", "operational"]
    assert [d.downtime_minutes for d in h.days] == [18, 18, 0]  # 60 min x 0.3 each side
    window = (2 * 24 + 12) * 60
    assert h.uptime == round(100 * (1 - 36 / window), 2)


def test_other_components_and_open_incidents() -> None:
    opened = NOW - timedelta(hours=1)
    ongoing = incident((opened, {"chat": "major_outage"}), resolved=None)
    assert history("search", [ongoing], NOW, days=2).uptime == 100.0
    chat = history("chat", [ongoing], NOW, days=2)
    assert chat.days[-1].status == "major_outage"
    assert chat.days[-1].downtime_minutes == 60


def test_a_status_announced_this_instant_colours_today() -> None:
    just_now = incident((NOW, {"chat": "degraded_performance"}), resolved=None)
    chat = history("chat", [just_now], NOW, days=2)
    assert [d.status for d in chat.days] == ["operational", "degraded_performance"]
    assert chat.uptime == 100.0
