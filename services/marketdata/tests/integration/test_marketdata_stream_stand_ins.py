"""ccxt.pro websocket streams against local stand-ins that speak Binance, Bybit and OKX frames."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.model import Candle, Side
from crypto_trader.marketdata.adapters.exchanges.ccxt_stream import (
    CcxtStreamExchange,
    candle_streams,
)
from crypto_trader.marketdata.adapters.exchanges.stand_in_streams import STREAM_DIALECTS
from crypto_trader.marketdata.adapters.exchanges.testing import (
    SERIES_START_MS,
    StandInExchange,
    StreamTrade,
    partial_row,
    series_row,
)
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.feed import build_feed

pytestmark = pytest.mark.integration

MINUTE = 60_000
SYMBOL = "BTC/USDT"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SERIES_START_MS + 5 * MINUTE + 10_000)


@pytest.fixture
async def stand_in(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[tuple[StandInExchange, CcxtStreamExchange]]:
    exchange_id = request.param
    server = await StandInExchange(exchange_id, clock.now_ms).start()
    exchange = CcxtStreamExchange(
        exchange_id, clock=clock, api_base_url=server.url, rate_limit_ms=1, timeout_seconds=2
    )
    yield server, exchange
    await exchange.close()
    await server.stop()


async def _wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition never met")
        await asyncio.sleep(0.02)


def _values(candle: Candle) -> tuple[int, str, str, str, str, str]:
    return (
        candle.open_time_ms,
        str(candle.open),
        str(candle.high),
        str(candle.low),
        str(candle.close),
        str(candle.volume),
    )


def _minute(candle: Candle) -> int:
    return (candle.open_time_ms - SERIES_START_MS) // MINUTE


def _topic(server: StandInExchange, kind: str) -> str:
    dialect = STREAM_DIALECTS[server.exchange_id]
    return dialect.trade_topic if kind == "trade" else dialect.ticker_topic


async def _subscribed(server: StandInExchange, exchange: CcxtStreamExchange) -> None:
    # The first watch connects and subscribes; nothing has been pushed yet.
    first = await exchange.watch_candles(SYMBOL, "1m", timeout_seconds=0.2)
    assert first.closed == () and first.forming is None
    await _wait_until(lambda: server.subscribers(server.kline_topic()) == 1)


@pytest.mark.parametrize("stand_in", ["binance", "bybit", "okx"], indirect=True)
async def test_kline_updates_stay_forming_until_a_later_candle_starts(
    stand_in: tuple[StandInExchange, CcxtStreamExchange], clock: FakeClock
) -> None:
    server, exchange = stand_in
    forming_at, next_at = SERIES_START_MS + 5 * MINUTE, SERIES_START_MS + 6 * MINUTE
    await _subscribed(server, exchange)

    await server.push_candle(forming_at, final=False)
    forming = await exchange.watch_candles(SYMBOL, "1m", timeout_seconds=5)
    await server.push_candle(forming_at, final=True)
    clock.advance(MINUTE)
    await server.push_candle(next_at, final=False)
    # Both updates may come in one batch or in two.
    batches = [await exchange.watch_candles(SYMBOL, "1m", timeout_seconds=5)]
    if batches[0].forming is None or batches[0].forming.open_time_ms != next_at:
        batches.append(await exchange.watch_candles(SYMBOL, "1m", timeout_seconds=5))

    assert forming.closed == ()
    assert forming.forming is not None and not forming.forming.closed
    assert _values(forming.forming) == partial_row(forming_at, "1m")
    closed = [candle for batch in batches for candle in batch.closed]
    assert [_values(candle) for candle in closed] == [series_row(forming_at, "1m")]
    assert all(candle.closed and candle.exchange == server.exchange_id for candle in closed)
    assert batches[-1].forming is not None
    assert _values(batches[-1].forming) == partial_row(next_at, "1m")


@pytest.mark.parametrize("stand_in", ["binance", "bybit", "okx"], indirect=True)
async def test_trades_and_tickers_arrive_as_exact_decimals(
    stand_in: tuple[StandInExchange, CcxtStreamExchange], clock: FakeClock
) -> None:
    server, exchange = stand_in
    sent = StreamTrade("981234", clock.now_ms() - 5, Side.SELL, "30005.37", "0.00123")

    trades = asyncio.ensure_future(exchange.watch_trades(SYMBOL))
    await _wait_until(lambda: server.subscribers(_topic(server, "trade")) == 1)
    await server.push_trade(sent)
    ticker = asyncio.ensure_future(exchange.watch_ticker(SYMBOL))
    await _wait_until(lambda: server.subscribers(_topic(server, "ticker")) == 1)
    await server.push_ticker()
    received, quote = await asyncio.wait_for(asyncio.gather(trades, ticker), timeout=5)

    assert len(received) == 1
    trade = received[0]
    assert (trade.exchange, trade.symbol, trade.trade_id) == (server.exchange_id, SYMBOL, "981234")
    assert (trade.side, trade.ts_event) == (Side.SELL, sent.ts_ms)
    assert (trade.price, trade.amount) == (Decimal("30005.37"), Decimal("0.00123"))
    assert isinstance(trade.price, Decimal) and isinstance(trade.amount, Decimal)
    forming = series_row(SERIES_START_MS + 5 * MINUTE, "1m")
    assert quote.symbol == SYMBOL
    assert quote.last == Decimal(forming[4])
    assert quote.base_volume == Decimal(forming[5])


async def test_an_exchange_without_kline_streams_is_left_to_rest(clock: FakeClock) -> None:
    server = await StandInExchange("coinbase", clock.now_ms).start()
    exchange = CcxtStreamExchange(
        "coinbase", clock=clock, api_base_url=server.url, rate_limit_ms=1, timeout_seconds=2
    )
    try:
        streams = candle_streams({"coinbase": exchange})
        batch = await exchange.fetch_candles("BTC/USD", "1m", limit=3)
    finally:
        await exchange.close()
        await server.stop()

    # Read from ccxt's ``has`` at run time: Coinbase streams tickers and trades, not klines.
    assert exchange.streams("watchTrades") and not exchange.streams("watchOHLCV")
    assert streams == {}
    assert batch.closed and batch.forming is not None


def _kline_requests(server: StandInExchange) -> int:
    return sum(1 for path in server.requests if "kline" in path or "candles" in path)


@pytest.mark.parametrize("stand_in", ["binance", "bybit"], indirect=True)
async def test_a_disconnect_mid_stream_is_backfilled_over_rest_without_gap_or_duplicate(
    stand_in: tuple[StandInExchange, CcxtStreamExchange], clock: FakeClock
) -> None:
    server, exchange = stand_in
    key = MarketKey(server.exchange_id, SYMBOL, "1m")
    emitted: list[Candle] = []
    forming: list[Candle] = []

    async def sink(candle: Candle) -> None:
        emitted.append(candle)

    async def on_forming(candle: Candle) -> None:
        forming.append(candle)

    feed = build_feed(
        key,
        {server.exchange_id: exchange},
        sink,
        clock=clock,
        last_open_time_ms=SERIES_START_MS + 1 * MINUTE,  # the store holds candles 0 and 1
        base_backoff_ms=1_000,
        max_backoff_ms=2_000,
        streams=candle_streams({server.exchange_id: exchange}),
        forming=on_forming,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(feed.run(stop, poll_seconds=0.05))
    topic = server.kline_topic()
    try:
        # REST catches up from the stored candle, then the stream takes over.
        await _wait_until(lambda: len(emitted) == 3 and server.subscribers(topic) == 1)
        rest_before = _kline_requests(server)
        await server.push_candle(SERIES_START_MS + 5 * MINUTE, final=False)
        # The REST catch-up announced candle 5 as forming; now the stream does.
        await _wait_until(lambda: len(forming) == 2)
        await server.push_candle(SERIES_START_MS + 5 * MINUTE, final=True)
        await server.push_candle(SERIES_START_MS + 6 * MINUTE, final=False)
        await _wait_until(lambda: len(emitted) == 4)
        streamed_without_rest = _kline_requests(server) == rest_before

        # The exchange drops the connection; candles 6, 7 and 8 close while no stream runs.
        await server.drop_websockets()
        await asyncio.sleep(0.2)
        clock.advance(4 * MINUTE)  # into candle 9
        await _wait_until(lambda: len(emitted) == 7 and server.subscribers(topic) == 1)
        rest_after_outage = _kline_requests(server)

        # The stream is back: candle 9 closes over it again.
        await server.push_candle(SERIES_START_MS + 9 * MINUTE, final=True)
        await server.push_candle(SERIES_START_MS + 10 * MINUTE, final=False)
        await _wait_until(lambda: len(emitted) == 8)
        await asyncio.sleep(0.2)  # a repeat, if any, would show up now
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)

    assert streamed_without_rest
    assert rest_after_outage > rest_before
    assert _kline_requests(server) == rest_after_outage  # candle 9 came over the stream
    assert [_minute(candle) for candle in emitted] == list(range(2, 10))
    for candle in emitted:
        assert candle.closed and candle.exchange == server.exchange_id
        assert _values(candle) == series_row(candle.open_time_ms, "1m")
    # One path for forming candles whatever brought them: REST catch-ups (5 and, after the
    # outage, 9) and the stream (5, 6, 10); never one that had closed already.
    assert [_minute(candle) for candle in forming] == [5, 5, 6, 9, 10]
    assert not any(candle.closed for candle in forming)
    assert all(candle.exchange == server.exchange_id for candle in forming)
    assert _values(forming[0]) == series_row(SERIES_START_MS + 5 * MINUTE, "1m")
    assert _values(forming[1]) == partial_row(SERIES_START_MS + 5 * MINUTE, "1m")
