"""Composition root of the risk service."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from functools import partial

from crypto_trader.common import streams
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.database import make_engine
from crypto_trader.common.heartbeat import beat
from crypto_trader.common.metrics import serve_metrics
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.contracts.risk.v1 import risk_service_pb2, risk_service_pb2_grpc
from crypto_trader.risk.adapters.grpc_server import RiskServicer
from crypto_trader.risk.adapters.nats_consumer import consume_order_updates, consume_signals
from crypto_trader.risk.adapters.nats_publisher import NatsDecisionPublisher
from crypto_trader.risk.adapters.repository import (
    ApprovedPositionReader,
    SqlAlchemyDecisionRepository,
    migrate_risk_tables,
)
from crypto_trader.risk.handlers import decide, record_order_outcome
from crypto_trader.risk.settings import RiskSettings


async def run(settings: RiskSettings, stop: asyncio.Event) -> None:
    """Decide on signals and serve ``RiskService`` until ``stop`` is set."""
    clock = LiveClock()
    infra = settings.infra
    root = infra.subject_root
    limits = settings.limits()
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    async with AsyncExitStack() as stack:
        engine = make_engine(infra.database_url_for("risk"))
        stack.callback(engine.dispose)
        await asyncio.to_thread(migrate_risk_tables, engine)
        decisions = SqlAlchemyDecisionRepository(engine)

        bus = await NatsBus.connect(infra.nats_url, name=f"risk-{settings.instance_id}")
        stack.push_async_callback(bus.close)
        await bus.ensure_stream(streams.approved_order_stream(root))
        await bus.ensure_stream(streams.risk_event_stream(root))
        await bus.ensure_stream(streams.execution_event_stream(root))

        positions = ApprovedPositionReader(decisions)

        servicer = RiskServicer(limits, decisions, account=infra.account)
        server = await stack.enter_async_context(
            serve_grpc(
                settings.grpc_host,
                settings.grpc_port,
                [lambda s: risk_service_pb2_grpc.add_RiskServiceServicer_to_server(servicer, s)],
                [risk_service_pb2.DESCRIPTOR.services_by_name["RiskService"].full_name],
                grace_seconds=settings.shutdown_grace_seconds,
            )
        )
        consumer = consume_signals(
            bus,
            partial(
                decide,
                positions=positions,
                decisions=decisions,
                publisher=NatsDecisionPublisher(bus, root=root),
                limits=limits,
                clock=clock,
            ),
            root=root,
            account=infra.account,
            stop=stop,
        )
        order_updates = consume_order_updates(
            bus,
            partial(record_order_outcome, decisions=decisions, exposure=decisions, clock=clock),
            root=root,
            account=infra.account,
            stop=stop,
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
        # Let the consumer finish its current signal while the portfolio channel is still open.
        await asyncio.gather(consumer, order_updates, heartbeat, return_exceptions=True)
