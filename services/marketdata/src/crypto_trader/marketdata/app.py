"""Composition root of the market data service."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from contextlib import AsyncExitStack

from crypto_trader.common import streams
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.errors import ConfigurationError, InvalidInput
from crypto_trader.common.heartbeat import beat
from crypto_trader.common.metrics import serve_metrics
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2
from crypto_trader.contracts.marketdata.v1.market_data_service_pb2_grpc import (
    add_MarketDataServiceServicer_to_server as add_servicer,
)
from crypto_trader.marketdata import handlers
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.adapters.ccxt_fetcher import CcxtOhlcvFetcher
from crypto_trader.marketdata.adapters.grpc_server import MarketDataServicer
from crypto_trader.marketdata.adapters.nats_publisher import NatsCandlePublisher
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import ReplayStatus
from crypto_trader.marketdata.importer import import_into_store, migrate_store
from crypto_trader.marketdata.settings import MarketdataSettings

SERVICE_NAME = market_data_service_pb2.DESCRIPTOR.services_by_name["MarketDataService"].full_name


def replay_config(settings: MarketdataSettings) -> handlers.ReplayConfig:
    """Take the replay's parameters from the settings; a malformed market is a config error."""
    try:
        key = MarketKey.parse(settings.exchange, settings.symbol, settings.timeframe)
    except InvalidInput as error:
        raise ConfigurationError(f"market settings: {error}") from None
    return handlers.ReplayConfig(
        key=key,
        source=settings.source,
        replay_file=settings.replay_file,
        replay_start_ms=settings.replay_start_ms,
        replay_limit=settings.replay_limit,
        replay_speed=settings.replay_speed,
        ccxt_candles=settings.ccxt_candles,
        synthetic_candles=settings.synthetic_candles,
        synthetic_seed=settings.synthetic_seed,
    )


async def _prepare_and_replay(
    config: handlers.ReplayConfig,
    *,
    store: SqlAlchemyCandleStore,
    publisher: NatsCandlePublisher,
    status: ReplayStatus,
    stop: asyncio.Event,
    timeout_seconds: float,
    clock: LiveClock,
) -> None:
    key = config.key
    plan = await handlers.prepare_replay(
        config,
        store=store,
        fetcher=CcxtOhlcvFetcher(timeout_seconds=timeout_seconds, clock=clock),
        import_file=functools.partial(
            import_into_store,
            store,
            exchange=key.exchange,
            symbol=key.symbol,
            timeframe=key.timeframe,
        ),
        clock=clock,
    )
    if stop.is_set():
        return
    await handlers.replay(
        plan,
        speed=config.replay_speed,
        store=store,
        cursors=store,
        publisher=publisher,
        status=status,
        stop=stop,
    )


def _stop_on_failure(stop: asyncio.Event) -> Callable[[asyncio.Task[None]], None]:
    def callback(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            stop.set()

    return callback


async def run(settings: MarketdataSettings, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set; the replay runs beside the gRPC server and ends on its own."""
    clock = LiveClock()
    config = replay_config(settings)
    root = settings.infra.subject_root
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    store = await asyncio.to_thread(migrate_store, settings.infra.database_url_for("marketdata"))
    # The replayed market is known before its source is ready, so GetTicker never shows a price
    # from the replay's future while the source loads.
    status = ReplayStatus(key=config.key)
    async with AsyncExitStack() as stack:
        stack.callback(store.dispose)
        bus = await NatsBus.connect(
            settings.infra.nats_url, name=f"marketdata-{settings.instance_id}"
        )
        stack.push_async_callback(bus.close)
        await bus.ensure_stream(streams.candle_stream(root))
        servicer = MarketDataServicer(store, status, exchange=settings.exchange)
        server = await stack.enter_async_context(
            serve_grpc(
                settings.grpc_host,
                settings.grpc_port,
                [lambda s: add_servicer(servicer, s)],  # type: ignore[no-untyped-call]
                [SERVICE_NAME],
                grace_seconds=settings.shutdown_grace_seconds,
            )
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
        replay = asyncio.create_task(
            _prepare_and_replay(
                config,
                store=store,
                publisher=NatsCandlePublisher(bus, root=root, clock=clock),
                status=status,
                stop=stop,
                timeout_seconds=settings.ccxt_timeout_seconds,
                clock=clock,
            ),
            name="marketdata-replay",
        )
        # A replay that fails stops the service (the supervisor restarts it and the replay resumes
        # from its cursor); one that ends normally leaves the gRPC server serving.
        replay.add_done_callback(_stop_on_failure(stop))
        await server.set_serving(True)
        await stop.wait()
        # The replay checks ``stop`` between candles: it finishes the current publish and cursor
        # write, then returns.
        await heartbeat
        await replay
