"""Composition root of the gateway: the FastAPI app (``create_app``) and its server (``run``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.heartbeat import beat
from crypto_trader.common.metrics import serve_metrics
from crypto_trader.gateway.adapters.grpc_clients import Backends
from crypto_trader.gateway.api.errors import install_error_handlers
from crypto_trader.gateway.api.routes import (
    candles,
    equity,
    fills,
    health,
    marketdata,
    orders,
    positions,
    strategies,
    stream,
)
from crypto_trader.gateway.settings import GatewaySettings
from crypto_trader.gateway.ws import Hub

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def _operation_id(route: APIRoute) -> str:
    # "{tag}-{name}" keeps the generated TypeScript client's method names short and stable.
    return f"{route.tags[0]}-{route.name}"


class _FrontendFiles(StaticFiles):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Mounted at "/", this also sees what no API route matched: WebSocket handshakes (which
        # StaticFiles cannot handle) and unknown API paths (whose clients expect JSON errors).
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1000})
            return
        if scope["path"].startswith(API_PREFIX + "/"):
            await JSONResponse({"detail": "Not Found"}, status_code=404)(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: GatewaySettings) -> FastAPI:
    """Build the app; its lifespan connects the bus, opens the gRPC channels and starts the hub."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            bus = await NatsBus.connect(
                settings.infra.nats_url, name=f"gateway-{settings.instance_id}"
            )
            stack.push_async_callback(bus.close)
            backends = Backends.open(
                settings.infra, timeout_seconds=settings.request_timeout_seconds
            )
            stack.push_async_callback(backends.close)
            hub = Hub(queue_size=settings.ws_queue_size)
            stack.push_async_callback(hub.stop)
            await hub.start(bus, settings.infra.subject_root)
            stop_beating = asyncio.Event()
            heartbeat = asyncio.create_task(
                beat(
                    bus,
                    root=settings.infra.subject_root,
                    service=settings.service_name,
                    instance=settings.instance_id,
                    every_seconds=settings.heartbeat_seconds,
                    clock=LiveClock(),
                    stop=stop_beating,
                )
            )

            async def stop_heartbeat() -> None:
                stop_beating.set()
                await heartbeat

            stack.push_async_callback(stop_heartbeat)
            app.state.bus = bus
            app.state.backends = backends
            app.state.hub = hub
            yield

    app = FastAPI(
        title="Crypto Trader gateway",
        version="0.1.0",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.settings = settings
    install_error_handlers(app)
    api = APIRouter(prefix=API_PREFIX)
    for module in (health, orders, fills, positions, equity, candles, marketdata, strategies):
        api.include_router(module.router)
    api.include_router(stream.router)
    app.include_router(api)
    # Mounted last, so every API route matches first.
    frontend = settings.frontend_dir
    if frontend is not None and frontend.is_dir():
        app.mount("/", _FrontendFiles(directory=frontend, html=True), name="frontend")
    elif frontend is not None:
        log.warning("frontend directory %s does not exist; serving the API only", frontend)
    return app


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # run_service owns SIGTERM/SIGINT and turns them into the stop event.
        yield


async def run(settings: GatewaySettings, stop: asyncio.Event) -> None:
    """Serve HTTP until ``stop`` is set."""
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        timeout_graceful_shutdown=max(1, round(settings.shutdown_grace_seconds)),
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([serving, stopping], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    await serving
