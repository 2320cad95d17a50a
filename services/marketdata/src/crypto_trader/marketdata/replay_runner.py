"""Use case: replay stored candles and trades onto the bus in time order, paced or flow-controlled.

Several markets go out as one stream. A candle goes out when it closes (open time + timeframe), a
trade at its own time, and the trades of a candle before that candle. Each market resumes from its
own cursors, so a restart neither skips nor repeats a candle.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.flow_control import LagBudget
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import (
    ReplayOrder,
    ReplayPacer,
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    candle_replay_order,
    trade_replay_order,
)
from crypto_trader.marketdata.domain.trade import TradeOrder, TradeTick
from crypto_trader.marketdata.handlers import cache_last_price
from crypto_trader.marketdata.ports import (
    CandlePublisher,
    CandleStore,
    ConsumerLag,
    LastPriceCache,
    ReplayCursors,
    TradePublisher,
    TradeStore,
)

log = logging.getLogger(__name__)

_PAGE = 1000
# Saving the trade cursor after every trade would cost one database write per trade. It is saved
# every this many trades and when the replay stops; a restart also skips every trade of a candle
# already published. So a crash repeats at most this many trades (with their stable event ids),
# all stamped after the last candle published.
_TRADE_CURSOR_EVERY = 100
# Waits shorter than this are skipped: the schedule is absolute, so the next wait makes up for it.
_MIN_WAIT_SECONDS = 0.0005

_Item = TypeVar("_Item", Candle, TradeTick)


@dataclass(frozen=True, slots=True)
class TradeReplay:
    """Where the stored trades come from and where they go."""

    store: TradeStore
    publisher: TradePublisher


@dataclass(slots=True)
class FlowControl:
    """Hold the replay back while a durable candle consumer is ``max_lag`` candles behind."""

    lag: ConsumerLag
    max_lag: int
    poll_seconds: float = 0.05
    # How often the replay waited for a consumer (an operator's hint that one is slow).
    pauses: int = 0
    budget: LagBudget = field(init=False)

    def __post_init__(self) -> None:
        self.budget = LagBudget(self.max_lag)


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
    trades: TradeReplay | None = None,
    flow: FlowControl | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    publish_retry_seconds: float = 1.0,
) -> bool:
    """Publish the plan's candles (and trades) from the saved cursors on, saving them as it goes.

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
        trades=trades,
        flow=flow,
        monotonic=monotonic,
        publish_retry_seconds=publish_retry_seconds,
    )


class _CandleFeed:
    def __init__(self, store: CandleStore, window: ReplayWindow, next_ms: int) -> None:
        self._store = store
        self._window = window
        self._next_ms = next_ms
        self._page: deque[Candle] = deque()
        self._exhausted = False

    async def head(self) -> Candle | None:
        if not self._page and not self._exhausted:
            page = await asyncio.to_thread(
                self._store.read_candles, self._window.key, start_ms=self._next_ms,
                end_ms=self._window.end_ms, limit=_PAGE,
            )  # fmt: skip
            self._exhausted = not page
            self._page.extend(page)
            if page:
                self._next_ms = page[-1].open_time_ms + 1
        return self._page[0] if self._page else None

    def pop(self) -> None:
        self._page.popleft()


class _TradeFeed:
    def __init__(
        self,
        store: TradeStore,
        key: MarketKey,
        *,
        start_ms: int,
        end_ms: int | None,
        after: TradeOrder | None,
    ) -> None:
        self._store = store
        self._key = key
        self._start_ms = start_ms
        self._end_ms = end_ms
        self._after = after
        self._page: deque[TradeTick] = deque()
        self._exhausted = False
        self._unsaved: TradeTick | None = None
        self._unsaved_count = 0

    async def head(self) -> TradeTick | None:
        if not self._page and not self._exhausted:
            page = await asyncio.to_thread(
                self._store.read_trades, self._key.exchange, self._key.symbol,
                start_ms=self._start_ms, end_ms=self._end_ms, after=self._after, limit=_PAGE,
            )  # fmt: skip
            self._exhausted = not page
            self._page.extend(page)
            if page:
                self._after = page[-1].order
        return self._page[0] if self._page else None

    async def published(self, trade: TradeTick) -> None:
        self._page.popleft()
        self._unsaved = trade
        self._unsaved_count += 1
        if self._unsaved_count >= _TRADE_CURSOR_EVERY:
            await self.save_cursor()

    async def save_cursor(self) -> None:
        if self._unsaved is not None:
            await asyncio.to_thread(self._store.save_trade_cursor, self._unsaved)
        self._unsaved = None
        self._unsaved_count = 0


@dataclass(slots=True)
class _MarketReplay:
    plan: ReplayPlan
    status: ReplayStatus
    candles: _CandleFeed
    trades: _TradeFeed | None

    async def head(self) -> tuple[ReplayOrder, Candle | TradeTick] | None:
        candle = await self.candles.head()
        trade = None if self.trades is None else await self.trades.head()
        if trade is not None:
            trade_order = trade_replay_order(trade)
            if candle is None or trade_order < candle_replay_order(candle):
                return trade_order, trade
        return None if candle is None else (candle_replay_order(candle), candle)


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
    trades: TradeReplay | None = None,
    flow: FlowControl | None = None,
    monotonic: Callable[[], float] = time.monotonic,
    publish_retry_seconds: float = 1.0,
) -> bool:
    """Replay several markets as one stream, in the order the live feed would have published it.

    Each market keeps its own cursors and status, so each resumes where it stopped and the history
    of each ends at its own released candle. ``speed`` 0 publishes without pacing; ``flow`` then
    keeps the candle consumers within reach. Returns True when every window was replayed to its end.
    """
    markets: list[_MarketReplay] = []
    with_trades: set[tuple[str, str]] = set()
    for plan in plans:
        market = await _start_market(plan, store, cursors, statuses, trades, with_trades)
        markets.append(market)
    if not markets:
        return True
    pacer = ReplayPacer(min(market.plan.window.key.timeframe_ms for market in markets), speed)
    try:
        while True:
            heads = [(head, market) for market in markets if (head := await market.head())]
            if not heads:
                break
            (order, item), market = min(heads, key=lambda entry: entry[0][0])
            if stop.is_set() or await _wait_or_stop(stop, pacer.delay(monotonic(), order[0])):
                return False
            if isinstance(item, Candle):
                sent = await _replay_candle(
                    market, item, store=cursors, publisher=publisher, prices=prices, flow=flow,
                    stop=stop, retry_seconds=publish_retry_seconds,
                )  # fmt: skip
            else:
                sent = await _replay_trade(market, item, trades, stop, publish_retry_seconds)
            if not sent:
                return False
    finally:
        for market in markets:
            if market.trades is not None:
                await market.trades.save_cursor()
    for market in markets:
        market.status.finished = True
        log.info(
            "replay of %s finished: %d candles, %d trades published",
            market.plan.window.key,
            market.status.published,
            market.status.trades_published,
        )
    return True


async def _start_market(
    plan: ReplayPlan,
    store: CandleStore,
    cursors: ReplayCursors,
    statuses: Mapping[MarketKey, ReplayStatus],
    trades: TradeReplay | None,
    with_trades: set[tuple[str, str]],
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
    market = (window.key.exchange, window.key.symbol)
    trade_feed = None
    # A market's trades go out once, with the first of its timeframes that is replayed.
    if trades is not None and market not in with_trades:
        with_trades.add(market)
        trade_feed = await _trade_feed(trades.store, window, cursor)
    return _MarketReplay(plan, status, _CandleFeed(store, window, next_ms), trade_feed)


async def _trade_feed(store: TradeStore, window: ReplayWindow, cursor: int | None) -> _TradeFeed:
    key = window.key
    step = key.timeframe_ms
    # The trades of the candles replayed: up to the close of the window's last candle; and none
    # of a candle already published (its trades went out before it).
    start = window.start_ms if cursor is None else max(window.start_ms, cursor + step)
    end = None if window.end_ms is None else window.end_ms - 1 + step
    after = await asyncio.to_thread(store.load_trade_cursor, key.exchange, key.symbol)
    return _TradeFeed(store, key, start_ms=start, end_ms=end, after=after)


async def _replay_candle(
    market: _MarketReplay,
    candle: Candle,
    *,
    store: ReplayCursors,
    publisher: CandlePublisher,
    prices: LastPriceCache | None,
    flow: FlowControl | None,
    stop: asyncio.Event,
    retry_seconds: float,
) -> bool:
    if flow is not None and not await _within_lag(flow, stop):
        return False
    market.status.release(candle)
    if not await _publish(publisher.publish, candle, stop, retry_seconds):
        return False
    if flow is not None:
        flow.budget.spend()
    market.candles.pop()
    await asyncio.to_thread(store.save_cursor, market.plan.window.key, candle.open_time_ms)
    market.status.record(candle)
    await cache_last_price(prices, candle)
    return True


async def _replay_trade(
    market: _MarketReplay,
    trade: TradeTick,
    trades: TradeReplay | None,
    stop: asyncio.Event,
    retry_seconds: float,
) -> bool:
    if trades is None or market.trades is None:  # only markets with a trade feed yield trades
        raise RuntimeError("a trade came from a market replayed without trades")
    if not await _publish(trades.publisher.publish_trade, trade, stop, retry_seconds):
        return False
    await market.trades.published(trade)
    market.status.trades_published += 1
    return True


async def _within_lag(flow: FlowControl, stop: asyncio.Event) -> bool:
    # Returns False when ``stop`` came while waiting for a slow consumer.
    waiting = False
    while flow.budget.exhausted:
        try:
            lag: int | None = await flow.lag.lag()
        except RetryableError as error:
            log.warning("consumer lag unknown, waiting: %s", error)
            lag = None
        if lag is not None and flow.budget.refill(lag):
            break
        if not waiting:
            flow.pauses += 1
            waiting = True
            log.debug("a candle consumer is %s candles behind: replay waits", lag)
        if await _wait_or_stop(stop, flow.poll_seconds):
            return False
    return True


async def _publish(
    send: Callable[[_Item], Awaitable[None]], item: _Item, stop: asyncio.Event, retry_seconds: float
) -> bool:
    while True:
        try:
            await send(item)
            return True
        except RetryableError as error:
            # The bus already retried for a while; keep the same item (no gap) until it goes out.
            log.warning("replayed event not published yet: %s", error)
            if await _wait_or_stop(stop, retry_seconds):
                return False


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    if stop.is_set():
        return True
    if seconds < _MIN_WAIT_SECONDS:
        return False
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
