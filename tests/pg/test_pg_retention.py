"""tests/integration/test_retention.py on PostgreSQL."""

from tests.integration.test_retention import *  # noqa: F403
