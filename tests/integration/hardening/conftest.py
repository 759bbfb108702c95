"""The respond fixtures (a runtime with on-call schedules and its tokens) for these tests."""

from tests.integration.respond.conftest import api, crew, rt  # noqa: F401
