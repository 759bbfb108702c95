"""The status page tests (publishing, history, maintenance, subscribers) on PostgreSQL."""

from tests.integration.communicate.test_status_page import *  # noqa: F403
from tests.integration.communicate.test_status_subscribers import *  # noqa: F403
