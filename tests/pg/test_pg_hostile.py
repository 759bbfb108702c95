"""tests/integration/hardening/test_hostile_events.py on PostgreSQL: a text PostgreSQL cannot
hold (a NUL) must be refused as it is on SQLite's side, never answered 5xx."""

from tests.integration.hardening.test_hostile_events import *  # noqa: F403
