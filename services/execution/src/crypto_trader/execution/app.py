"""Composition root of the execution service."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from pathlib import Path

from crypto_trader.common import rpc, streams
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import Clock, LiveClock
from crypto_trader.common.database import make_engine, migrate
from crypto_trader.common.heartbeat import beat
from crypto_trader.common.metrics import UP, serve_metrics
from crypto_trader.contracts.execution.v1 import execution_service_pb2, execution_service_pb2_grpc
from crypto_trader.execution.adapters.grpc_server import ExecutionServicer
from crypto_trader.execution.adapters.market_history import GrpcMarketHistory
from crypto_trader.execution.adapters.nats_consumer import start_consumers
from crypto_trader.execution.adapters.publisher import NatsEventPublisher
from crypto_trader.execution.adapters.repository import SqlAlchemyOrderStore
from crypto_trader.execution.handlers import ExecutionHandlers, OutboxRelay
from crypto_trader.execution.settings import ExecutionSettings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "adapters" / "migrations"
VERSION_TABLE = "execution_alembic_version"


async def run(
    settings: ExecutionSettings, stop: asyncio.Event, *, clock: Clock | None = None
) -> None:
    """Serve until ``stop`` is set."""
    clock = clock or LiveClock()
    root = settings.infra.subject_root
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    engine = make_engine(settings.infra.database_url_for(settings.service_name))
    async with AsyncExitStack() as stack:
        stack.callback(engine.dispose)
        await asyncio.to_thread(migrate, engine, MIGRATIONS_DIR, version_table=VERSION_TABLE)
        bus = await NatsBus.connect(
            settings.infra.nats_url, name=f"execution-{settings.instance_id}"
        )
        stack.push_async_callback(bus.close)
        await bus.ensure_stream(streams.execution_event_stream(root))
        marketdata = rpc.channel(settings.infra.grpc_addr("marketdata"))
        stack.push_async_callback(marketdata.close)

        store = SqlAlchemyOrderStore(engine)
        relay = OutboxRelay(store, NatsEventPublisher(bus, root=root), clock)
        handlers = ExecutionHandlers(
            store=store,
            history=GrpcMarketHistory(
                marketdata, timeout_seconds=settings.market_history_timeout_seconds
            ),
            relay=relay,
            clock=clock,
            fee_rate=settings.taker_fee,
            slippage_bps=settings.slippage_bps,
            maker_fee_rate=settings.maker_fee,
            protections=store,
        )
        # Events a crash left committed but unpublished go out before anything new happens.
        leftovers = await relay.publish_pending_quietly()
        if leftovers:
            log.info("relayed %d events left over from the last run", leftovers)

        servicer = ExecutionServicer(store, default_account=settings.infra.account)
        server = await stack.enter_async_context(
            rpc.serve_grpc(
                settings.grpc_host,
                settings.grpc_port,
                [
                    lambda s: execution_service_pb2_grpc.add_ExecutionServiceServicer_to_server(
                        servicer, s
                    )
                ],
                [execution_service_pb2.DESCRIPTOR.services_by_name["ExecutionService"].full_name],
                grace_seconds=settings.shutdown_grace_seconds,
            )
        )
        tasks = [
            *start_consumers(bus, handlers, root=root, account=settings.infra.account, stop=stop),
            asyncio.create_task(
                relay.run(every_seconds=settings.relay_interval_seconds, stop=stop), name="relay"
            ),
            asyncio.create_task(
                beat(
                    bus,
                    root=root,
                    service=settings.service_name,
                    instance=settings.instance_id,
                    every_seconds=settings.heartbeat_seconds,
                    clock=clock,
                    stop=stop,
                ),
                name="heartbeat",
            ),
        ]
        await server.set_serving(True)
        UP.labels(settings.service_name).set(1)
        await stop.wait()
        UP.labels(settings.service_name).set(0)
        # Consumers finish the message in hand (and its relay) while bus and store are still open.
        await asyncio.gather(*tasks, return_exceptions=True)
