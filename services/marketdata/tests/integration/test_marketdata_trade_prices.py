"""Replayed trades refresh the last-price cache in the real Redis, as candle closes do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from crypto_trader.common.model import Candle
from crypto_trader.common.price_cache import LastPrice, RedisPriceCache
from crypto_trader.marketdata import replay_runner
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
)
from crypto_trader.marketdata.domain.trade import TradeTick
from crypto_trader.marketdata.testing import (
    BTC_5M,
    START_MS,
    InMemoryCandleStore,
    InMemoryTradeStore,
    make_candles,
    make_trades,
)

pytestmark = pytest.mark.integration

STEP = BTC_5M.timeframe_ms
# Trades 1000, 1001 and 1002 are in candle 0; 1003 and 1004 in candle 1.
TRADE_TIMES = [
    START_MS + 10_000,
    START_MS + 10_500,
    START_MS + 20_000,
    START_MS + STEP + 1_000,
    START_MS + STEP + 30_000,
]
TRADES = make_trades(times_ms=TRADE_TIMES, price=Decimal("100.25"))


class StopAfter:
    """Record what goes out; set ``stop`` once the named trade is published."""

    def __init__(self, stop: asyncio.Event, trade_id: str | None) -> None:
        self._stop = stop
        self._trade_id = trade_id

    async def publish(self, candle: Candle) -> None:
        return None

    async def publish_trade(self, trade: TradeTick) -> None:
        if trade.trade_id == self._trade_id:
            self._stop.set()


@pytest.fixture
async def prices(redis_url: str, run_root: str) -> AsyncIterator[RedisPriceCache]:
    cache = RedisPriceCache(redis_url, f"{run_root}:trade-prices:")
    yield cache
    await cache.close()


class SteppingClock:
    """A monotonic clock that moves ``step`` seconds each time it is read (0: frozen)."""

    def __init__(self, step: float) -> None:
        self._now = 1000.0
        self._step = step

    def __call__(self) -> float:
        self._now += self._step
        return self._now


async def _replay_until(
    prices: RedisPriceCache, trade_id: str | None, *, seconds_per_read: float = 1.0
) -> LastPrice | None:
    stop = asyncio.Event()
    tape = StopAfter(stop, trade_id)
    candles = InMemoryCandleStore(make_candles(count=3))
    await replay_runner.replay_markets(
        [ReplayPlan(SourceKind.STORE, ReplayWindow(BTC_5M, 0, None), synthetic=False)],
        speed=0,
        store=candles,
        cursors=candles,
        publisher=tape,
        statuses={BTC_5M: ReplayStatus()},
        stop=stop,
        prices=prices,
        trades=replay_runner.TradeReplay(InMemoryTradeStore(TRADES), tape),
        monotonic=SteppingClock(seconds_per_read),
    )
    return await prices.get_last(BTC_5M.exchange, BTC_5M.symbol)


async def test_a_trade_after_a_candle_close_is_the_last_price_until_the_next_close(
    prices: RedisPriceCache,
) -> None:
    cached = await _replay_until(prices, "1004")

    assert cached == LastPrice(Decimal("104.25"), START_MS + STEP + 30_000)


async def test_trades_in_quick_succession_write_the_price_once(
    prices: RedisPriceCache,
) -> None:
    cached = await _replay_until(prices, "1001", seconds_per_read=0.0)

    # No time passed between 1000 and 1001: the cache still holds 1000's price.
    assert cached == LastPrice(Decimal("100.25"), START_MS + 10_000)


async def test_a_candle_close_replaces_the_price_of_its_own_trades(
    prices: RedisPriceCache,
) -> None:
    cached = await _replay_until(prices, None)

    last_candle = make_candles(count=3)[-1]
    assert cached == LastPrice(last_candle.close, last_candle.close_time_ms)
