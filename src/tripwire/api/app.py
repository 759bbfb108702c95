"""The FastAPI application: routers, error shape and the background workers' lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import tripwire
from tripwire.api.errors import ErrorBoundary, install_error_handlers
from tripwire.api.limits import BodyLimits
from tripwire.api.openapi import install_openapi
from tripwire.api.routes import (
    ack,
    affected,
    alerts,
    communications,
    data,
    events,
    flags,
    health,
    incidents,
    learn,
    metrics,
    ofrep,
    oncall,
    otlp,
    outputs,
    status,
)
from tripwire.runtime.wiring import Runtime
from tripwire.web.mount import install_web
from tripwire.web.security import SecurityHeaders

ROUTERS = [
    health.router,
    events.router,
    otlp.router,
    incidents.router,
    ack.router,
    alerts.router,
    oncall.router,
    metrics.router,
    flags.router,
    ofrep.router,
    status.router,
    communications.router,
    affected.router,
    learn.router,
    outputs.router,
    data.router,
]


def create_app(runtime: Runtime, *, background: bool = True) -> FastAPI:
    """An app serving `runtime`; with `background`, the workers run while the app is up."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if background:
            runtime.start_background()
        yield
        runtime.close()

    app = FastAPI(title="Tripwire", version=tripwire.__version__, lifespan=lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_web(app)
    install_openapi(app)
    app.add_middleware(BodyLimits)
    app.add_middleware(ErrorBoundary)
    app.add_middleware(SecurityHeaders)
    return app
