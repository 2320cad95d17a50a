"""gRPC plumbing: a server with health checking and reflection, error mapping, client channels."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from crypto_trader.common.errors import InvalidInput, NotFound, RetryableError

log = logging.getLogger(__name__)

Registrar = Callable[[grpc.aio.Server], None]
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def maps_errors(method: F) -> F:
    """Map the platform's errors to gRPC status codes; anything else is INTERNAL, no details."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await method(self, request, context)
        except InvalidInput as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
        except NotFound as error:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(error))
        except RetryableError as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(error))

    return wrapper  # type: ignore[return-value]


class GrpcServer:
    """A running gRPC server and its health status."""

    def __init__(
        self, server: grpc.aio.Server, health: HealthServicer, names: Sequence[str], port: int
    ):
        self.server = server
        self.port = port
        self._health = health
        self._names = names

    async def set_serving(self, serving: bool) -> None:
        """Report every service (and the server as a whole) as serving or not."""
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self._names):
            await self._health.set(name, status)


@asynccontextmanager
async def serve_grpc(
    host: str,
    port: int,
    registrars: Sequence[Registrar],
    service_names: Sequence[str],
    *,
    grace_seconds: float = 5.0,
) -> AsyncIterator[GrpcServer]:
    """Serve the given servicers plus ``grpc.health.v1`` and reflection until the context exits."""
    server = grpc.aio.server()
    for register in registrars:
        register(server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    names = [*service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name]
    reflection.enable_server_reflection([*names, reflection.SERVICE_NAME], server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"gRPC port {port} on {host} is already in use")
    await server.start()
    running = GrpcServer(server, health, service_names, bound)
    log.info("grpc serving on %s:%d", host, bound)
    try:
        yield running
    finally:
        await running.set_serving(False)
        await server.stop(grace_seconds)


def channel(target: str, *, max_reconnect_backoff_ms: int = 2000) -> grpc.aio.Channel:
    """Open a client channel to another service (loopback or cluster DNS; no TLS in-cluster)."""
    # gRPC's default reconnect backoff grows to 120 s: far too slow when services start together.
    options = [
        ("grpc.enable_retries", 1),
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.min_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", max_reconnect_backoff_ms),
    ]
    return grpc.aio.insecure_channel(target, options=options)
