"""Use cases: the live feed's sink, the last-price cache and the history queries."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from decimal import Decimal

from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.common.model import Candle, validate_symbol
from crypto_trader.marketdata.domain.candle_query import candle_query
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey
from crypto_trader.marketdata.domain.replay import ReplayStatus
from crypto_trader.marketdata.domain.trade import TradeTick
from crypto_trader.marketdata.feed import CandleSink
from crypto_trader.marketdata.ports import (
    CandlePublisher,
    CandleStore,
    LastPriceCache,
    ReplayCursors,
)

log = logging.getLogger(__name__)


async def cache_last_price(prices: LastPriceCache | None, candle: Candle) -> None:
    """Write a published candle's close as the market's last price; a failure is only logged."""
    await _cache(prices, candle.exchange, candle.symbol, candle.close, candle.close_time_ms)


async def cache_trade_price(prices: LastPriceCache | None, trade: TradeTick) -> None:
    """Write a published trade's price as the market's last price, stamped at the trade's time.

    A trade inside a candle is fresher than the previous candle's close; the cache keeps whichever
    is newer, so the candle's own close (stamped at its close time) still wins over its trades.
    """
    await _cache(prices, trade.exchange, trade.symbol, trade.price, trade.ts_event)


async def _cache(
    prices: LastPriceCache | None, exchange: str, symbol: str, price: Decimal, ts_ms: int
) -> None:
    if prices is None:
        return
    try:
        await prices.set_last(exchange, symbol, price, ts_ms)
    except Exception as error:  # noqa: BLE001 - the cache is optional: nothing may stop the replay
        log.warning("last price of %s %s not cached: %s", exchange, symbol, error)


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
