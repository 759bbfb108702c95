"""The ingest, OTLP and auth API tests on PostgreSQL."""

from tests.integration.test_ingest_api import *  # noqa: F403
from tests.integration.test_otlp_exporter import *  # noqa: F403
from tests.integration.test_otlp_route import *  # noqa: F403
from tests.integration.test_route_policies import *  # noqa: F403
from tests.integration.test_smoke_ingest import *  # noqa: F403
