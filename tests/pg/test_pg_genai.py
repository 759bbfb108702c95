"""The GenAI content join, GET /v1/outputs and content-less outputs on PostgreSQL."""

from tests.integration.test_otlp_logs import *  # noqa: F403
from tests.integration.test_outputs_api import *  # noqa: F403
