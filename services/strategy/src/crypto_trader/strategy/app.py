"""Composition root of the strategy service."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from crypto_trader.common import streams
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.database import make_engine
from crypto_trader.common.heartbeat import beat
from crypto_trader.common.metrics import serve_metrics
from crypto_trader.common.rpc import channel, serve_grpc
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2, strategy_service_pb2_grpc
from crypto_trader.strategy.adapters.grpc_server import StrategyServicer
from crypto_trader.strategy.adapters.marketdata_client import GrpcMarketHistory
from crypto_trader.strategy.adapters.nats_consumer import consume_candles
from crypto_trader.strategy.adapters.nats_publisher import NatsSignalPublisher
from crypto_trader.strategy.adapters.repository import (
    SqlAlchemyInstanceRepository,
    migrate_strategy_tables,
)
from crypto_trader.strategy.handlers import StrategyRunner
from crypto_trader.strategy.settings import StrategySettings


async def run(settings: StrategySettings, stop: asyncio.Event) -> None:
    """Run the configured instance and serve ``StrategyService`` until ``stop`` is set."""
    clock = LiveClock()
    infra = settings.infra
    root = infra.subject_root
    spec = settings.instance_spec()
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    async with AsyncExitStack() as stack:
        engine = make_engine(infra.database_url_for("strategy"))
        stack.callback(engine.dispose)
        await asyncio.to_thread(migrate_strategy_tables, engine)
        instances = SqlAlchemyInstanceRepository(engine)
        await asyncio.to_thread(instances.register, spec)

        bus = await NatsBus.connect(infra.nats_url, name=f"strategy-{settings.instance_id}")
        stack.push_async_callback(bus.close)
        await bus.ensure_stream(streams.signal_stream(root))

        marketdata = channel(infra.marketdata_addr)
        stack.push_async_callback(marketdata.close)
        runner = StrategyRunner(
            spec,
            history=GrpcMarketHistory(marketdata, timeout_seconds=settings.history_timeout_seconds),
            instances=instances,
            publisher=NatsSignalPublisher(bus, root=root),
            clock=clock,
        )

        servicer = StrategyServicer(instances, running={spec.instance_id})
        server = await stack.enter_async_context(
            serve_grpc(
                settings.grpc_host,
                settings.grpc_port,
                [
                    lambda s: strategy_service_pb2_grpc.add_StrategyServiceServicer_to_server(
                        servicer, s
                    )
                ],
                [strategy_service_pb2.DESCRIPTOR.services_by_name["StrategyService"].full_name],
                grace_seconds=settings.shutdown_grace_seconds,
            )
        )
        consumer = consume_candles(bus, runner, root=root, stop=stop)
        heartbeat = asyncio.create_task(
            beat(
                bus,
                root=root,
                service=settings.service_name,
                instance=settings.instance_id,
                every_seconds=settings.heartbeat_seconds,
                clock=clock,
                stop=stop,
            )
        )
        await server.set_serving(True)
        await stop.wait()
        # Let the consumer finish its current candle while the marketdata channel is still open.
        await asyncio.gather(consumer, heartbeat, return_exceptions=True)
