"""Composition root of the ML service."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.heartbeat import beat
from crypto_trader.common.metrics import serve_metrics
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.contracts.ml.v1 import ml_service_pb2, ml_service_pb2_grpc
from crypto_trader.ml.adapters.grpc_server import MlServicer
from crypto_trader.ml.settings import MlSettings


async def run(settings: MlSettings, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set."""
    clock = LiveClock()
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    async with AsyncExitStack() as stack:
        bus = await NatsBus.connect(settings.infra.nats_url, name=f"ml-{settings.instance_id}")
        stack.push_async_callback(bus.close)
        servicer = MlServicer()
        server = await stack.enter_async_context(
            serve_grpc(
                settings.grpc_host,
                settings.grpc_port,
                [lambda s: ml_service_pb2_grpc.add_MLServiceServicer_to_server(servicer, s)],
                [ml_service_pb2.DESCRIPTOR.services_by_name["MLService"].full_name],
                grace_seconds=settings.shutdown_grace_seconds,
            )
        )
        heartbeat = asyncio.create_task(
            beat(
                bus,
                root=settings.infra.subject_root,
                service=settings.service_name,
                instance=settings.instance_id,
                every_seconds=settings.heartbeat_seconds,
                clock=clock,
                stop=stop,
            )
        )
        await server.set_serving(True)
        await stop.wait()
        await heartbeat
