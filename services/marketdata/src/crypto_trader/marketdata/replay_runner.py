"""Use case: replay stored candles and trades onto the bus in time order, paced or flow-controlled.

Several markets go out as one stream. A candle goes out when it closes (open time + timeframe), a
trade at its own time, and the trades of a candle before that candle. Each market resumes from its
own cursors, so a restart never skips a candle nor publishes a different one: it may repeat the
few published since the last saved cursor, under the same stable message ids.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.flow_control import LagBudget
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import ReplayPacer, ReplayPlan, ReplayStatus
from crypto_trader.marketdata.domain.trade import TradeTick
from crypto_trader.marketdata.handlers import cache_last_price, cache_trade_price
from crypto_trader.marketdata.ports import (
    CandlePublisher,
    CandleStore,
    ConsumerLag,
    LastPriceCache,
    ReplayCursors,
    TradePublisher,
    TradeStore,
)
from crypto_trader.marketdata.replay_feed import MarketReplay, start_market

log = logging.getLogger(__name__)

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

    Returns True when the window was replayed to its end, False when ``stop`` came first. The
    cursor never passes a candle the broker has not acknowledged; it is saved in batches and when
    the replay stops, so a restart resumes after the last saved candle and the candles repeated
    since are absorbed by their stable message ids.
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
    Cursors are saved in batches (see ``replay_feed``) and always when the replay stops, even when
    its task is cancelled.
    """
    run = _Run(publisher, trades, prices, flow, stop, monotonic, publish_retry_seconds)
    with_trades: set[tuple[str, str]] = set()
    for plan in plans:
        key = plan.window.key
        # A market's trades go out once, with the first of its timeframes that is replayed.
        trade_store = None
        if trades is not None and (key.exchange, key.symbol) not in with_trades:
            with_trades.add((key.exchange, key.symbol))
            trade_store = trades.store
        market = await start_market(
            plan, store=store, cursors=cursors, status=statuses[key], trade_store=trade_store,
            monotonic=monotonic,
        )  # fmt: skip
        run.markets.append(market)
    if not run.markets:
        return True
    if not await run.replay(
        ReplayPacer(min(plan.window.key.timeframe_ms for plan in plans), speed)
    ):
        return False
    for market in run.markets:
        market.status.finished = True
        log.info(
            "replay of %s finished: %d candles, %d trades published",
            market.plan.window.key,
            market.status.published,
            market.status.trades_published,
        )
    return True


@dataclass(slots=True)
class _Run:
    publisher: CandlePublisher
    trades: TradeReplay | None
    prices: LastPriceCache | None
    flow: FlowControl | None
    stop: asyncio.Event
    monotonic: Callable[[], float]
    retry_seconds: float
    markets: list[MarketReplay] = field(default_factory=list)

    async def replay(self, pacer: ReplayPacer) -> bool:
        try:
            while True:
                heads = [(head, market) for market in self.markets if (head := await market.head())]
                if not heads:
                    return True
                (order, item), market = min(heads, key=lambda entry: entry[0][0])
                if await self.wait(pacer.delay(self.monotonic(), order[0])):
                    return False
                if isinstance(item, Candle):
                    sent = await self.candle(market, item)
                else:
                    sent = await self.trade(market, item)
                if not sent:
                    return False
        finally:
            for market in self.markets:
                await market.stop()

    async def candle(self, market: MarketReplay, candle: Candle) -> bool:
        if self.flow is not None and not await self.within_lag(self.flow):
            return False
        market.status.release(candle)
        if not await self.publish(self.publisher.publish, candle):
            return False
        if self.flow is not None:
            self.flow.budget.spend()
        await market.candles.published(candle)
        market.status.record(candle)
        await cache_last_price(self.prices, candle)
        return True

    async def trade(self, market: MarketReplay, trade: TradeTick) -> bool:
        if self.trades is None or market.trades is None:  # only markets with trades yield them
            raise RuntimeError("a trade came from a market replayed without trades")
        if not await self.publish(self.trades.publisher.publish_trade, trade):
            return False
        await market.trades.published(trade)
        market.status.trades_published += 1
        if self.prices is not None and market.trades.price_due():
            await cache_trade_price(self.prices, trade)
        return True

    async def within_lag(self, flow: FlowControl) -> bool:
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
            if await self.wait(flow.poll_seconds):
                return False
        return True

    async def publish(self, send: Callable[[_Item], Awaitable[None]], item: _Item) -> bool:
        while True:
            try:
                await send(item)
                return True
            except RetryableError as error:
                # The bus already retried for a while; keep the same item (no gap) until it goes.
                log.warning("replayed event not published yet: %s", error)
                if await self.wait(self.retry_seconds):
                    return False

    async def wait(self, seconds: float) -> bool:
        # Returns True when ``stop`` came first. The replay is idle while it waits: the candle
        # cursors are saved first, so a paced replay saves each candle's cursor as it goes.
        if self.stop.is_set():
            return True
        if seconds < _MIN_WAIT_SECONDS:
            return False
        started = self.monotonic()
        for market in self.markets:
            await market.candles.save_cursor()
        return await _wait_or_stop(self.stop, seconds - (self.monotonic() - started))


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
