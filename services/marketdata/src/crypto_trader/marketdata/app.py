"""Composition root of the market data service."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import Clock, LiveClock
from crypto_trader.common.errors import ConfigurationError, InvalidInput, RetryableError
from crypto_trader.common.heartbeat import beat
from crypto_trader.common.ids import stable_id
from crypto_trader.common.metrics import serve_metrics
from crypto_trader.common.model import Candle
from crypto_trader.common.price_cache import RedisPriceCache
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2
from crypto_trader.contracts.marketdata.v1.market_data_service_pb2_grpc import (
    add_MarketDataServiceServicer_to_server as add_servicer,
)
from crypto_trader.marketdata import handlers
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.adapters.consumer_lag import JetStreamConsumerLag
from crypto_trader.marketdata.adapters.exchanges import CcxtExchange
from crypto_trader.marketdata.adapters.exchanges.ccxt_stream import (
    CcxtStreamExchange,
    candle_streams,
)
from crypto_trader.marketdata.adapters.grpc_server import MarketDataServicer, NatsCandleSubscriber
from crypto_trader.marketdata.adapters.nats_publisher import NatsCandlePublisher, candle_closed
from crypto_trader.marketdata.adapters.trade_publisher import NatsTradePublisher
from crypto_trader.marketdata.adapters.trade_store import SqlAlchemyTradeStore
from crypto_trader.marketdata.domain.failover import FailoverPolicy
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
)
from crypto_trader.marketdata.domain.retention import RetentionPolicy
from crypto_trader.marketdata.feed import run_live_feed
from crypto_trader.marketdata.importer import import_into_store, migrate_database
from crypto_trader.marketdata.maintenance import RetentionStore, apply_retention
from crypto_trader.marketdata.ports import FormingCandlePublisher, LastPriceCache
from crypto_trader.marketdata.replay_runner import FlowControl, TradeReplay, replay_markets
from crypto_trader.marketdata.replay_source import ReplayConfig, prepare_replay
from crypto_trader.marketdata.settings import MarketdataSettings

log = logging.getLogger(__name__)

SERVICE_NAME = market_data_service_pb2.DESCRIPTOR.services_by_name["MarketDataService"].full_name


def replay_config(settings: MarketdataSettings, symbol: str | None = None) -> ReplayConfig:
    """Take one market's replay parameters from the settings; a malformed one is a config error."""
    try:
        key = MarketKey.parse(settings.exchange, symbol or settings.symbol, settings.timeframe)
    except InvalidInput as error:
        raise ConfigurationError(f"market settings: {error}") from None
    return ReplayConfig(
        key=key,
        source=settings.source,
        replay_file=settings.replay_file,
        replay_start_ms=settings.replay_start_ms,
        replay_limit=settings.replay_limit,
        synthetic_candles=settings.synthetic_candles,
        synthetic_seed=settings.synthetic_seed,
    )


def replay_configs(settings: MarketdataSettings) -> list[ReplayConfig]:
    """Return the replay parameters of every configured market, the primary one first."""
    return [replay_config(settings, symbol) for symbol in settings.markets]


def retention_policy(settings: MarketdataSettings) -> RetentionPolicy:
    """Build the retention policy from the settings; a bad one is a config error."""
    try:
        return RetentionPolicy(dict(settings.retention_days))
    except InvalidInput as error:
        raise ConfigurationError(f"retention settings: {error}") from None


def check_failover(settings: MarketdataSettings) -> None:
    """Reject live-provider settings the failover policy cannot work with, at start."""
    try:
        FailoverPolicy(
            "settings",
            settings.live_providers,
            base_backoff_ms=settings.failover_base_backoff_ms,
            max_backoff_ms=settings.failover_max_backoff_ms,
            probe_interval_ms=settings.failover_probe_interval_ms,
        )
    except InvalidInput as error:
        raise ConfigurationError(f"live provider settings: {error}") from None


def _flow_control(settings: MarketdataSettings, bus: NatsBus, root: str) -> FlowControl | None:
    # Paced replays keep their schedule; only "max" speed is held back by slow consumers.
    if settings.replay_speed > 0:
        return None
    lag = JetStreamConsumerLag(
        bus,
        stream=streams.candle_stream(root).name,
        stale_seconds=settings.replay_consumer_idle_seconds,
    )
    return FlowControl(lag, settings.replay_max_lag)


class _NatsFormingPublisher:
    """Publish forming candles on core NATS: a lossy update, never stored as closed."""

    def __init__(self, bus: NatsBus, *, root: str, clock: Clock) -> None:
        self._bus = bus
        self._root = root
        self._clock = clock

    async def publish_forming(self, candle: Candle) -> None:
        now_ms = self._clock.now_ms()
        message = candle_closed(candle, now_ms=now_ms)
        # Not the closed candle's id: a forming update must never de-duplicate the closed one.
        message.event_id = stable_id("candle-forming", message.event_id, now_ms)
        subject = subjects.candles(self._root, candle.exchange, candle.symbol, candle.timeframe)
        try:
            await self._bus.publish(subject, message)
        except Exception as error:  # noqa: BLE001 - any bus failure just drops this update
            raise RetryableError(f"forming candle not published: {error}") from error


class _BestEffortPrices:
    """Write last prices to Redis without ever holding up a publish: bounded, logged once."""

    def __init__(self, cache: RedisPriceCache, *, timeout_seconds: float = 1.0) -> None:
        self._cache = cache
        self._timeout = timeout_seconds
        self._failing = False

    async def set_last(self, exchange: str, symbol: str, price: Decimal, ts_ms: int) -> bool:
        try:
            stored = await asyncio.wait_for(
                self._cache.set_last(exchange, symbol, price, ts_ms), timeout=self._timeout
            )
        except Exception as error:  # noqa: BLE001 - Redis down must never stop the candles
            if not self._failing:
                log.warning("last prices not cached until Redis answers again: %r", error)
            self._failing = True
            return False
        if self._failing:
            log.info("last prices cached again")
        self._failing = False
        return stored


class _ProtectedRetention:
    # The markets replayed from history keep every candle: retention must not delete the replay.
    def __init__(self, store: SqlAlchemyCandleStore, protected: set[MarketKey]) -> None:
        self._store = store
        self._protected = protected

    def coverage(self, exchange: str | None = None) -> list[MarketCoverage]:
        return [item for item in self._store.coverage(exchange) if item.key not in self._protected]

    def delete_before(self, key: MarketKey, before_ms: int) -> int:
        return self._store.delete_before(key, before_ms)


async def _retain(
    store: RetentionStore,
    policy: RetentionPolicy,
    *,
    every_seconds: float,
    clock: Clock,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        try:
            await asyncio.to_thread(apply_retention, store, policy, clock.now_ms())
        except Exception:
            log.exception("retention run failed; trying again at the next one")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)


async def _answers(exchange: CcxtExchange, key: MarketKey, *, timeout_seconds: float) -> bool:
    try:
        # One bound on the whole probe (time sync, markets, candles): "auto" must start promptly.
        await asyncio.wait_for(
            exchange.fetch_candles(key.symbol, key.timeframe, limit=2), timeout=timeout_seconds
        )
    except (RetryableError, InvalidInput, TimeoutError) as error:
        log.warning("exchange %s does not answer, replaying instead: %s", key.exchange, error)
        return False
    return True


@dataclass(frozen=True, slots=True)
class _Markets:
    settings: MarketdataSettings
    configs: list[ReplayConfig]
    statuses: list[ReplayStatus]
    store: SqlAlchemyCandleStore
    publisher: NatsCandlePublisher
    forming: FormingCandlePublisher
    prices: LastPriceCache
    clock: Clock
    stop: asyncio.Event
    # Markets whose history is replayed, which retention leaves alone; live ones leave the set.
    replayed: set[MarketKey]
    trades: TradeReplay
    flow: FlowControl | None

    async def run(self) -> None:
        source = self.settings.source
        if source == "ccxt" or (source == "auto" and self.settings.replay_file is None):
            async with AsyncExitStack() as stack:
                exchanges = {
                    provider: await stack.enter_async_context(self._exchange(provider))
                    for provider in self.settings.live_providers
                }
                preferred = exchanges[self.settings.live_providers[0]]
                if source == "ccxt" or await _answers(
                    preferred,
                    self.configs[0].key,
                    timeout_seconds=self.settings.ccxt_timeout_seconds,
                ):
                    await self._run_live(exchanges)
                    return
        # "ccxt" and "auto" went live above when they could; the other sources never fetch.
        await self._replay()

    def _exchange(self, provider: str) -> CcxtExchange:
        websocket = self.settings.live_transport == "websocket"
        return (CcxtStreamExchange if websocket else CcxtExchange)(
            provider,
            clock=self.clock,
            timeout_seconds=self.settings.exchange_timeout_seconds,
            api_base_url=self.settings.api_base_url(provider),
        )

    async def _run_live(self, exchanges: dict[str, CcxtExchange]) -> None:
        async with asyncio.TaskGroup() as group:
            for config, status in zip(self.configs, self.statuses, strict=True):
                self.replayed.discard(config.key)
                group.create_task(self._run_live_market(config.key, status, exchanges))

    async def _run_live_market(
        self, key: MarketKey, status: ReplayStatus, exchanges: dict[str, CcxtExchange]
    ) -> None:
        cursor = await asyncio.to_thread(self.store.load_cursor, key)
        status.start(
            ReplayPlan(SourceKind.CCXT, ReplayWindow(key, 0, None), synthetic=False),
            total=0,
            already_published=0,
        )
        if cursor is not None:
            status.last_open_time_ms = status.horizon_ms = cursor
        log.info("live candles of %s from %s", key, ", ".join(exchanges))
        settings = self.settings
        await run_live_feed(
            key,
            exchanges,
            handlers.live_sink(
                store=self.store,
                cursors=self.store,
                publisher=self.publisher,
                status=status,
                prices=self.prices,
            ),
            clock=self.clock,
            stop=self.stop,
            last_open_time_ms=cursor,
            poll_seconds=settings.live_poll_seconds,
            base_backoff_ms=settings.failover_base_backoff_ms,
            max_backoff_ms=settings.failover_max_backoff_ms,
            probe_interval_ms=settings.failover_probe_interval_ms,
            # Exchanges without a kline stream (ccxt's ``has``) are polled, as with "rest".
            streams=candle_streams(exchanges) if settings.live_transport == "websocket" else None,
            forming=self.forming.publish_forming,
        )

    async def _replay(self) -> None:
        plans = []
        for config in self.configs:
            plans.append(
                await prepare_replay(
                    config,
                    store=self.store,
                    import_file=functools.partial(
                        import_into_store,
                        self.store,
                        exchange=config.key.exchange,
                        symbol=config.key.symbol,
                        timeframe=config.key.timeframe,
                    ),
                    clock=self.clock,
                )
            )
            if self.stop.is_set():
                return
        await replay_markets(
            plans,
            speed=self.settings.replay_speed,
            store=self.store,
            cursors=self.store,
            publisher=self.publisher,
            statuses={
                config.key: status
                for config, status in zip(self.configs, self.statuses, strict=True)
            },
            stop=self.stop,
            prices=self.prices,
            trades=self.trades,
            flow=self.flow,
        )


def _stop_on_failure(stop: asyncio.Event) -> Callable[[asyncio.Task[None]], None]:
    def callback(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            stop.set()

    return callback


async def run(
    settings: MarketdataSettings, stop: asyncio.Event, *, clock: Clock | None = None
) -> None:
    """Serve until ``stop`` is set; the replay (or live feed) runs beside the gRPC server."""
    clock = clock or LiveClock()
    configs = replay_configs(settings)
    policy = retention_policy(settings)
    check_failover(settings)
    root = settings.infra.subject_root
    serve_metrics(settings.metrics_port, host=settings.metrics_host)
    engine = await asyncio.to_thread(
        migrate_database, settings.infra.database_url_for("marketdata")
    )
    store = SqlAlchemyCandleStore(engine)
    # The replayed markets are known before their source is ready, so GetTicker never shows a price
    # from the replay's future while the source loads.
    statuses = [ReplayStatus(key=config.key) for config in configs]
    async with AsyncExitStack() as stack:
        stack.callback(store.dispose)
        bus = await NatsBus.connect(
            settings.infra.nats_url, name=f"marketdata-{settings.instance_id}"
        )
        stack.push_async_callback(bus.close)
        await bus.ensure_stream(streams.candle_stream(root))
        prices = RedisPriceCache(settings.infra.redis_url, settings.infra.redis_prefix)
        stack.push_async_callback(prices.close)
        best_effort_prices = _BestEffortPrices(prices)
        servicer = MarketDataServicer(
            store,
            statuses,
            exchange=settings.exchange,
            candles=NatsCandleSubscriber(bus, root=root),
            stop=stop,
        )
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
        markets = _Markets(
            settings,
            configs,
            statuses,
            store,
            NatsCandlePublisher(bus, root=root, clock=clock),
            _NatsFormingPublisher(bus, root=root, clock=clock),
            best_effort_prices,
            clock,
            stop,
            replayed={config.key for config in configs},
            trades=TradeReplay(
                SqlAlchemyTradeStore(engine), NatsTradePublisher(bus, root=root, clock=clock)
            ),
            flow=_flow_control(settings, bus, root),
        )
        replay = asyncio.create_task(markets.run(), name="marketdata-replay")
        # A replay that fails stops the service (the supervisor restarts it and the replay resumes
        # from its cursor); one that ends normally leaves the gRPC server serving.
        replay.add_done_callback(_stop_on_failure(stop))
        # Replayed history keeps every candle; live markets and the rest follow the policy.
        retention = asyncio.create_task(
            _retain(
                _ProtectedRetention(store, markets.replayed),
                policy,
                every_seconds=settings.retention_interval_seconds,
                clock=clock,
                stop=stop,
            ),
            name="marketdata-retention",
        )
        await server.set_serving(True)
        await stop.wait()
        # The replay checks ``stop`` between candles: it finishes the current publish and cursor
        # write, then returns.
        await heartbeat
        await replay
        await retention
