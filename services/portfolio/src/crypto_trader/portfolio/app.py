"""Composition root of the portfolio service."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

from crypto_trader.common import streams
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.database import make_engine, migrate
from crypto_trader.common.heartbeat import beat
from crypto_trader.common.metrics import UP, serve_metrics
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.contracts.portfolio.v1 import portfolio_service_pb2, portfolio_service_pb2_grpc
from crypto_trader.portfolio import handlers
from crypto_trader.portfolio.adapters.grpc_server import PortfolioServicer
from crypto_trader.portfolio.adapters.nats_consumer import PortfolioConsumers
from crypto_trader.portfolio.adapters.nats_publisher import NatsPortfolioPublisher
from crypto_trader.portfolio.adapters.repository import SqlAlchemyLedger, SqlAlchemyPriceBook
from crypto_trader.portfolio.settings import PortfolioSettings

MIGRATIONS_DIR = Path(__file__).parent / "adapters" / "migrations"


async def run(settings: PortfolioSettings, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set; then stop consuming, close the bus and stop gRPC, in order."""
    clock = LiveClock()
    infra = settings.infra
    root = infra.subject_root
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    async with AsyncExitStack() as stack:
        engine = make_engine(infra.database_url_for(settings.service_name))
        stack.callback(engine.dispose)
        await asyncio.to_thread(
            migrate, engine, MIGRATIONS_DIR, version_table="portfolio_alembic_version"
        )
        ledger = SqlAlchemyLedger(engine, clock)
        prices = SqlAlchemyPriceBook(engine)
        await handlers.open_account(
            infra.account, infra.quote_currency, settings.initial_cash, ledger=ledger, clock=clock
        )
        servicer = PortfolioServicer(
            ledger=ledger,
            prices=prices,
            default_account=infra.account,
            quote_currency=infra.quote_currency,
        )
        # Entered before the bus so it exits after it: gRPC answers while the consumers finish.
        server = await stack.enter_async_context(
            serve_grpc(
                settings.grpc_host,
                settings.grpc_port,
                [
                    lambda s: portfolio_service_pb2_grpc.add_PortfolioServiceServicer_to_server(  # type: ignore[no-untyped-call]
                        servicer, s
                    )
                ],
                [portfolio_service_pb2.DESCRIPTOR.services_by_name["PortfolioService"].full_name],
                grace_seconds=settings.shutdown_grace_seconds,
            )
        )
        bus = await NatsBus.connect(infra.nats_url, name=f"portfolio-{settings.instance_id}")
        stack.push_async_callback(bus.close)
        await bus.ensure_stream(streams.portfolio_stream(root))
        consumers = PortfolioConsumers(
            account=infra.account,
            quote_currency=infra.quote_currency,
            ledger=ledger,
            prices=prices,
            publisher=NatsPortfolioPublisher(bus, root),
            clock=clock,
        )
        consumers.start(bus, root=root, stop=stop)
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
        UP.labels(settings.service_name).set(1)
        await stop.wait()
        UP.labels(settings.service_name).set(0)
        await server.set_serving(False)
        await heartbeat
