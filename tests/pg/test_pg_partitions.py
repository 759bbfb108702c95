"""tests/integration/test_partitions.py on PostgreSQL."""

from tests.integration.test_partitions import *  # noqa: F403
