from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import Cast
from tests.sdk.servers import serve_app
from tripwire.api.app import create_app
from tripwire.runtime.wiring import Runtime


@dataclass
class Live:
    """A real Tripwire server on a free port, and the tokens to talk to it."""

    url: str
    cast: Cast
    runtime: Runtime


@pytest.fixture
def live(runtime: Runtime, cast: Cast) -> Iterator[Live]:
    with serve_app(create_app(runtime, background=False)) as url:
        yield Live(url, cast, runtime)
