"""tests/integration/test_store_events.py on PostgreSQL."""

from tests.integration.test_store_events import *  # noqa: F403
