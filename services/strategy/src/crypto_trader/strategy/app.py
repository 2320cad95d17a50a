"""Composition root of the strategy service."""

from __future__ import annotations

import asyncio
import functools
import logging
from contextlib import AsyncExitStack

from crypto_trader.common import streams
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.database import make_engine
from crypto_trader.common.errors import InvalidInput
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
from crypto_trader.strategy.adapters.strategy_files import load_strategies_dir
from crypto_trader.strategy.domain.instance import InstanceSpec
from crypto_trader.strategy.domain.registry import StrategyRegistry
from crypto_trader.strategy.handlers import InstanceFleet, StrategyRunner
from crypto_trader.strategy.settings import StrategySettings

log = logging.getLogger(__name__)


def build_registry(settings: StrategySettings) -> StrategyRegistry:
    """Return the built-ins plus the strategies of ``settings.strategies_dir``."""
    registry = StrategyRegistry.with_built_ins()
    if settings.strategies_dir is not None:
        load_strategies_dir(settings.strategies_dir, registry)
    return registry


def owned_specs(settings: StrategySettings, registry: StrategyRegistry) -> list[InstanceSpec]:
    """Return this replica's instances (one whose strategy is unusable is logged and skipped)."""
    specs: dict[str, InstanceSpec] = {}
    for config in settings.instances:
        try:
            spec = config.spec(settings.infra.account, registry)
        except InvalidInput as error:
            log.error("instance %s not started: %s", config.model_dump(mode="json"), error)
            continue
        if spec.owned_by(settings.replica_index, settings.replica_count):
            specs.setdefault(spec.instance_id, spec)
    return list(specs.values())


async def run(settings: StrategySettings, stop: asyncio.Event) -> None:
    """Run this replica's instances and serve ``StrategyService`` until ``stop`` is set."""
    clock = LiveClock()
    infra = settings.infra
    root = infra.subject_root
    registry = await asyncio.to_thread(build_registry, settings)
    specs = owned_specs(settings, registry)
    log.info(
        "replica %d of %d runs %d instance(s)",
        settings.replica_index,
        settings.replica_count,
        len(specs),
    )
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    async with AsyncExitStack() as stack:
        engine = make_engine(infra.database_url_for("strategy"))
        stack.callback(engine.dispose)
        await asyncio.to_thread(migrate_strategy_tables, engine)
        instances = SqlAlchemyInstanceRepository(engine)
        for spec in specs:
            await asyncio.to_thread(instances.register, spec)

        bus = await NatsBus.connect(infra.nats_url, name=f"strategy-{settings.instance_id}")
        stack.push_async_callback(bus.close)
        await bus.ensure_stream(streams.signal_stream(root))

        marketdata = channel(infra.marketdata_addr)
        stack.push_async_callback(marketdata.close)
        history = GrpcMarketHistory(marketdata, timeout_seconds=settings.history_timeout_seconds)
        publisher = NatsSignalPublisher(bus, root=root)
        fleet = InstanceFleet(
            StrategyRunner(
                spec,
                functools.partial(registry.create, spec.strategy, spec.parameters),
                history=history,
                instances=instances,
                publisher=publisher,
                clock=clock,
            )
            for spec in specs
        )

        servicer = StrategyServicer(
            instances, registry=registry, running=fleet.running, clock=clock
        )
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
        consumers = consume_candles(
            bus,
            fleet,
            root=root,
            stop=stop,
            replica_index=settings.replica_index,
            replica_count=settings.replica_count,
        )
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
        await asyncio.gather(*consumers, heartbeat, return_exceptions=True)
