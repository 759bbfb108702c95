"""Affected users and user messages on PostgreSQL: the same tests, on a database of their own
(the JSON paths, the flagged-output subqueries and the user-id cursor run on PostgreSQL)."""

from __future__ import annotations

from tests.integration.communicate.test_affected_users import (
    api,
    rt,
    test_a_linted_approved_message_reaches_each_user_by_smtp,
    test_the_affected_users_respect_segment_window_and_flags,
)
from tests.integration.respond.test_exposure_scope import (
    test_a_flagged_scope_counts_only_flagged_outputs,
)

__all__ = [
    "api",
    "rt",
    "test_a_flagged_scope_counts_only_flagged_outputs",
    "test_a_linted_approved_message_reaches_each_user_by_smtp",
    "test_the_affected_users_respect_segment_window_and_flags",
]
