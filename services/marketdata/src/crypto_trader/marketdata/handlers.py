"""Use cases: prepare the replay source, replay stored candles, answer history queries."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import ConfigurationError, InvalidInput, RetryableError
from crypto_trader.common.model import Candle, validate_symbol
from crypto_trader.marketdata.domain.candle_query import candle_query
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey, floor_open_time
from crypto_trader.marketdata.domain.replay import (
    ReplayPacer,
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
    pacing_interval_seconds,
    source_plan,
)
from crypto_trader.marketdata.domain.synthetic import random_walk_candles
from crypto_trader.marketdata.feed import CandleBatch, CandleSink, CandleSource
from crypto_trader.marketdata.ports import (
    CandleFileImport,
    CandlePublisher,
    CandleStore,
    FormingCandlePublisher,
    LastPriceCache,
    OhlcvFetcher,
    ReplayCursors,
)

log = logging.getLogger(__name__)

_REPLAY_PAGE = 1000


@dataclass(frozen=True, slots=True)
class ReplayConfig:
    """What to replay and how, taken from the settings by the composition root."""

    key: MarketKey
    source: str = "auto"
    replay_file: Path | None = None
    replay_start_ms: int = 0
    replay_limit: int = 0
    replay_speed: float = 1500.0
    ccxt_candles: int = 1000
    synthetic_candles: int = 5000
    synthetic_seed: int = 7


# ----------------------------------------------------------------------------- preparing a source


async def prepare_replay(
    config: ReplayConfig,
    *,
    store: CandleStore,
    fetcher: OhlcvFetcher,
    import_file: CandleFileImport,
    clock: Clock,
) -> ReplayPlan:
    """Try the configured sources in order, load the first that yields candles into the store.

    Raises
    ------
    ConfigurationError
        When an explicitly configured replay file cannot be read or holds no valid candle.
    """
    for kind in source_plan(config.source, has_replay_file=config.replay_file is not None):
        window = await _load_source(kind, config, store, fetcher, import_file, clock)
        if window is not None:
            synthetic = kind is SourceKind.SYNTHETIC or (
                kind is SourceKind.STORE
                and await asyncio.to_thread(_is_synthetic, store, config.key)
            )
            if synthetic:
                log.warning(
                    "replaying SYNTHETIC candles for %s: generated data, not real market prices",
                    config.key,
                )
            return ReplayPlan(kind, await _limit(window, config, store), synthetic)
    log.warning("no candles to replay for %s (source %s)", config.key, config.source)
    empty = ReplayWindow(config.key, config.replay_start_ms, config.replay_start_ms)
    return ReplayPlan(SourceKind.STORE, empty, synthetic=False)


async def _load_source(
    kind: SourceKind,
    config: ReplayConfig,
    store: CandleStore,
    fetcher: OhlcvFetcher,
    import_file: CandleFileImport,
    clock: Clock,
) -> ReplayWindow | None:
    if kind is SourceKind.FILE:
        return await _load_file(config, import_file)
    if kind is SourceKind.CCXT:
        return await _load_exchange(config, store, fetcher)
    if kind is SourceKind.STORE:
        if await asyncio.to_thread(store.has_candles, config.key):
            return ReplayWindow(config.key, config.replay_start_ms, None)
        log.info("the store holds no candles of %s", config.key)
        return None
    return await _seed_synthetic(config, store, clock)


async def _load_file(config: ReplayConfig, import_file: CandleFileImport) -> ReplayWindow:
    if config.replay_file is None:  # source_plan only picks FILE when one is set
        raise ConfigurationError("no replay file configured")
    try:
        report = await asyncio.to_thread(import_file, config.replay_file)
    except InvalidInput as error:
        raise ConfigurationError(f"cannot replay {config.replay_file}: {error}") from None
    if report.first_open_time_ms is None or report.last_open_time_ms is None:
        raise ConfigurationError(f"replay file {config.replay_file} holds no valid candle")
    log.info(
        "imported replay file %s: %d rows, %d new, %d duplicates, %d rejected%s",
        report.path,
        report.rows_read,
        report.stored,
        report.duplicates_skipped,
        report.rejected_total,
        f" {report.rejected}" if report.rejected else "",
    )
    return _covering(config, report.first_open_time_ms, report.last_open_time_ms)


async def _load_exchange(
    config: ReplayConfig, store: CandleStore, fetcher: OhlcvFetcher
) -> ReplayWindow | None:
    try:
        candles = await fetcher.fetch_recent(config.key, limit=config.ccxt_candles)
    except RetryableError as error:
        log.warning(
            "exchange %s unavailable, trying the next source: %s", config.key.exchange, error
        )
        return None
    if not candles:
        log.warning("exchange %s returned no candles for %s", config.key.exchange, config.key)
        return None
    stored = await asyncio.to_thread(store.add_candles, candles)
    log.info(
        "fetched %d candles of %s from the exchange (%d new)", len(candles), config.key, stored
    )
    return _covering(config, candles[0].open_time_ms, candles[-1].open_time_ms)


async def _seed_synthetic(config: ReplayConfig, store: CandleStore, clock: Clock) -> ReplayWindow:
    step = config.key.timeframe_ms
    last_closed = floor_open_time(clock.now_ms(), step) - step
    candles = random_walk_candles(
        config.key,
        start_ms=last_closed - (config.synthetic_candles - 1) * step,
        count=config.synthetic_candles,
        seed=config.synthetic_seed,
    )
    stored = await asyncio.to_thread(store.add_candles, candles)
    log.warning(
        "no real market data reachable: seeded %d SYNTHETIC candles of %s (random walk, seed %d)",
        stored,
        config.key,
        config.synthetic_seed,
    )
    return _covering(config, candles[0].open_time_ms, candles[-1].open_time_ms)


def _covering(config: ReplayConfig, first_ms: int, last_ms: int) -> ReplayWindow:
    return ReplayWindow(config.key, max(config.replay_start_ms, first_ms), last_ms + 1)


def _is_synthetic(store: CandleStore, key: MarketKey) -> bool:
    return any(item.key == key and item.synthetic for item in store.coverage(key.exchange))


async def _limit(window: ReplayWindow, config: ReplayConfig, store: CandleStore) -> ReplayWindow:
    if config.replay_limit <= 0:
        return window
    last = await asyncio.to_thread(
        store.nth_open_time,
        window.key,
        start_ms=window.start_ms,
        end_ms=window.end_ms,
        n=config.replay_limit,
    )
    return window if last is None else ReplayWindow(window.key, window.start_ms, last + 1)


# ----------------------------------------------------------------------------- replaying


async def replay(
    plan: ReplayPlan,
    *,
    speed: float,
    store: CandleStore,
    cursors: ReplayCursors,
    publisher: CandlePublisher,
    status: ReplayStatus,
    stop: asyncio.Event,
    prices: LastPriceCache | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    publish_retry_seconds: float = 1.0,
) -> bool:
    """Publish the plan's candles from the saved cursor on, paced, saving the cursor after each.

    Returns True when the window was replayed to its end, False when ``stop`` came first. A candle
    is either published and its cursor saved, or left for the next run: a restart resumes after the
    last saved candle and a repeat of it is absorbed by the candle's stable message id.
    """
    return await replay_markets(
        [plan],
        speed=speed,
        store=store,
        cursors=cursors,
        publisher=publisher,
        statuses={plan.window.key: status},
        stop=stop,
        prices=prices,
        monotonic=monotonic,
        publish_retry_seconds=publish_retry_seconds,
    )


@dataclass(slots=True)
class _MarketReplay:
    plan: ReplayPlan
    status: ReplayStatus
    next_ms: int
    page: deque[Candle]
    exhausted: bool = False

    @property
    def window(self) -> ReplayWindow:
        return self.plan.window


async def replay_markets(
    plans: Sequence[ReplayPlan],
    *,
    speed: float,
    store: CandleStore,
    cursors: ReplayCursors,
    publisher: CandlePublisher,
    statuses: Mapping[MarketKey, ReplayStatus],
    stop: asyncio.Event,
    prices: LastPriceCache | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    publish_retry_seconds: float = 1.0,
) -> bool:
    """Replay several markets as one stream, in open-time order (ties broken by symbol).

    Each market keeps its own cursor and status, so each resumes where it stopped and the history
    of each ends at its own released candle. Candles opened at the same time go out together, one
    pacing slot per open time. Returns True when every window was replayed to its end.
    """
    markets = [await _start_market(plan, store, cursors, statuses) for plan in plans]
    if not markets:
        return True
    step_ms = min(market.window.key.timeframe_ms for market in markets)
    pacer = ReplayPacer(pacing_interval_seconds(step_ms, speed))
    paced_ms: int | None = None
    while True:
        for market in markets:
            await _refill(market, store)
        ready = [market for market in markets if market.page]
        if not ready:
            break
        market = min(ready, key=lambda item: (item.page[0].open_time_ms, item.window.key.symbol))
        candle = market.page[0]
        if stop.is_set():
            return False
        if paced_ms is None or candle.open_time_ms > paced_ms:
            if await _wait_or_stop(stop, pacer.delay(monotonic())):
                return False
            paced_ms = candle.open_time_ms
        market.status.release(candle)
        if not await _publish(publisher, candle, stop, publish_retry_seconds):
            return False
        market.page.popleft()
        await asyncio.to_thread(cursors.save_cursor, market.window.key, candle.open_time_ms)
        market.status.record(candle)
        await cache_last_price(prices, candle)
    for market in markets:
        market.status.finished = True
        log.info(
            "replay of %s finished: %d candles published",
            market.window.key,
            market.status.published,
        )
    return True


async def _start_market(
    plan: ReplayPlan,
    store: CandleStore,
    cursors: ReplayCursors,
    statuses: Mapping[MarketKey, ReplayStatus],
) -> _MarketReplay:
    window = plan.window
    status = statuses[window.key]
    cursor = await asyncio.to_thread(cursors.load_cursor, window.key)
    next_ms = window.resume_from(cursor)
    total = await asyncio.to_thread(
        store.count_candles, window.key, start_ms=window.start_ms, end_ms=window.end_ms
    )
    done_end = next_ms if window.end_ms is None else min(next_ms, window.end_ms)
    already = await asyncio.to_thread(
        store.count_candles, window.key, start_ms=window.start_ms, end_ms=done_end
    )
    status.start(plan, total=total, already_published=already)
    if cursor is not None:
        status.last_open_time_ms = cursor
        status.horizon_ms = cursor
    log.info(
        "replaying %s from %d (%d of %d already published)", window.key, next_ms, already, total
    )
    return _MarketReplay(plan, status, next_ms, deque())


async def _refill(market: _MarketReplay, store: CandleStore) -> None:
    if market.page or market.exhausted:
        return
    window = market.window
    page = await asyncio.to_thread(
        store.read_candles, window.key, start_ms=market.next_ms, end_ms=window.end_ms,
        limit=_REPLAY_PAGE,
    )  # fmt: skip
    if not page:
        market.exhausted = True
        return
    market.page.extend(page)
    market.next_ms = page[-1].open_time_ms + 1


async def cache_last_price(prices: LastPriceCache | None, candle: Candle) -> None:
    """Write a published candle's close as the market's last price; a failure is only logged."""
    if prices is None:
        return
    try:
        await prices.set_last(candle.exchange, candle.symbol, candle.close, candle.close_time_ms)
    except Exception as error:  # noqa: BLE001 - the cache is optional: nothing may stop the replay
        log.warning("last price of %s %s not cached: %s", candle.exchange, candle.symbol, error)


async def _publish(
    publisher: CandlePublisher, candle: Candle, stop: asyncio.Event, retry_seconds: float
) -> bool:
    while True:
        try:
            await publisher.publish(candle)
            return True
        except RetryableError as error:
            # The bus already retried for a while; keep the same candle (no gap) until it goes out.
            log.warning("candle %d not published yet: %s", candle.open_time_ms, error)
            if await _wait_or_stop(stop, retry_seconds):
                return False


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    if stop.is_set():
        return True
    if seconds <= 0:
        return False
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True


# ----------------------------------------------------------------------------- live


def live_sink(
    *,
    store: CandleStore,
    cursors: ReplayCursors,
    publisher: CandlePublisher,
    status: ReplayStatus,
    prices: LastPriceCache | None = None,
) -> CandleSink:
    """Return the live feed's sink: store each closed candle, then release and publish it.

    A publish that fails raises RetryableError, so the feed hands the same candle again on its next
    poll (storing it twice is a no-op, and its stable message id absorbs a repeated publish).
    """

    async def sink(candle: Candle) -> None:
        key = MarketKey(candle.exchange, candle.symbol, candle.timeframe)
        await asyncio.to_thread(store.add_candles, [candle])
        status.release(candle)
        await publisher.publish(candle)
        await asyncio.to_thread(cursors.save_cursor, key, candle.open_time_ms)
        status.total += 1
        status.record(candle)
        await cache_last_price(prices, candle)

    return sink


class FormingCandleTap:
    """A candle source that also announces the forming candle each fetch brings, apart."""

    def __init__(
        self, source: CandleSource, key: MarketKey, publisher: FormingCandlePublisher
    ) -> None:
        self._source = source
        self._key = key
        self._publisher = publisher

    async def fetch_candles(
        self, symbol: str, timeframe: str, *, since_ms: int | None = None, limit: int | None = None
    ) -> CandleBatch:
        """Fetch from the wrapped source; publish its forming candle under the feed's market."""
        batch = await self._source.fetch_candles(symbol, timeframe, since_ms=since_ms, limit=limit)
        if batch.forming is not None:
            forming = dataclasses.replace(batch.forming, exchange=self._key.exchange, closed=False)
            try:
                await self._publisher.publish_forming(forming)
            except RetryableError as error:
                # Forming updates are lossy by design: the next poll brings a newer one.
                log.info("forming candle of %s not published: %s", self._key, error)
        return batch


# ----------------------------------------------------------------------------- queries


def get_candles(
    store: CandleStore,
    *,
    exchange: str,
    symbol: str,
    timeframe: str,
    start_ms: int = 0,
    end_ms: int = 0,
    limit: int = 0,
    from_end: bool = False,
    status: ReplayStatus | None = None,
) -> list[Candle]:
    """Answer a history query from the store, oldest first.

    For the market being replayed, history ends at the candle being published: the stored candles
    after it are the replay's future, and a paper fill or a strategy must not see them early.

    Raises
    ------
    InvalidInput
        When a part is malformed or names a market the store does not hold (the message lists what
        it holds), or when the bounds are invalid.
    RetryableError
        While the replay is still choosing its source.
    """
    key = MarketKey.parse(exchange, symbol, timeframe)
    query = candle_query(key, start_ms=start_ms, end_ms=end_ms, limit=limit, from_end=from_end)
    if not store.has_candles(key):
        raise InvalidInput(_unknown_market(store, key))
    end = query.end_ms
    if status is not None:
        if status.key is None and status.source == "starting":
            raise RetryableError("market data is starting its replay; ask again shortly")
        if status.key == key:
            if not status.horizon_ms:
                return []
            horizon = status.horizon_ms + 1
            end = horizon if end is None else min(end, horizon)
    return store.read_candles(
        key,
        start_ms=query.start_ms,
        end_ms=end,
        limit=query.limit,
        from_end=query.from_end,
    )


def check_streamable(store: CandleStore, statuses: Sequence[ReplayStatus], key: MarketKey) -> None:
    """Accept a market to stream when it is replayed or stored; else name what is supported.

    Raises
    ------
    InvalidInput
        When the service neither replays nor stores the market.
    """
    replayed = {status.key for status in statuses if status.key is not None}
    if key in replayed or store.has_candles(key):
        return
    markets = sorted({*replayed, *(item.key for item in store.coverage())}, key=str)
    supported = "; ".join(str(market) for market in markets) or "none"
    raise InvalidInput(f"unknown market {key}; supported: {supported}")


def _unknown_market(store: CandleStore, key: MarketKey) -> str:
    coverage = store.coverage()
    exchanges = sorted({item.key.exchange for item in coverage})
    if key.exchange not in exchanges:
        return f"unknown exchange {key.exchange!r}; supported: {', '.join(exchanges) or 'none'}"
    on_exchange = [item.key for item in coverage if item.key.exchange == key.exchange]
    symbols = sorted({market.symbol for market in on_exchange})
    if key.symbol not in symbols:
        return f"unknown symbol {key.symbol!r} on {key.exchange}; supported: {', '.join(symbols)}"
    markets = sorted(
        (market for market in on_exchange if market.symbol == key.symbol),
        key=lambda market: market.timeframe_ms,
    )
    return (
        f"unknown timeframe {key.timeframe!r} for {key.symbol} on {key.exchange}; "
        f"supported: {', '.join(market.timeframe for market in markets)}"
    )


def list_symbols(store: CandleStore, exchange: str = "") -> list[MarketCoverage]:
    """List the stored markets (of one exchange when given)."""
    return store.coverage(exchange or None)


def list_exchanges(store: CandleStore, configured: str) -> list[str]:
    """List the configured exchange and every exchange with stored candles."""
    return sorted({configured, *(item.key.exchange for item in store.coverage())})


def get_ticker(store: CandleStore, status: ReplayStatus, *, exchange: str, symbol: str) -> Candle:
    """Return the candle whose close is the market's last price.

    For the replayed market that is the last candle published, not the newest stored (which lies in
    the replay's future); for other markets, the newest candle of the finest stored timeframe.

    Raises
    ------
    InvalidInput
        When the market is malformed or nothing of it is stored (or replayed yet).
    """
    validate_symbol(symbol)
    replayed = status.key
    if replayed is not None and (replayed.exchange, replayed.symbol) == (exchange, symbol):
        candle = None
        if status.published:
            candle = store.latest_candle(replayed, until_open_time_ms=status.last_open_time_ms)
    else:
        timeframes = [item.key for item in store.coverage(exchange) if item.key.symbol == symbol]
        finest = min(timeframes, key=lambda key: key.timeframe_ms, default=None)
        candle = None if finest is None else store.latest_candle(finest)
    if candle is None:
        raise InvalidInput(f"no price for {symbol} on {exchange}: nothing stored or replayed yet")
    return candle
