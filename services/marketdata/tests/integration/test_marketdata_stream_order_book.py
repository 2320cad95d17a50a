"""ccxt.pro order book streams against stand-ins serving Binance, Bybit and OKX depth messages.

Binance streams only diffs: ccxt fetches the REST snapshot and chains the diffs onto its
``lastUpdateId``. Bybit and OKX push a snapshot on subscription, then deltas. Either way the book
``watch_order_book`` returns must be the stand-in's, level for level, as exact decimals.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import RetryableError
from crypto_trader.marketdata.adapters.exchanges.ccxt_stream import CcxtStreamExchange
from crypto_trader.marketdata.adapters.exchanges.record import OrderBook
from crypto_trader.marketdata.adapters.exchanges.testing import SERIES_START_MS, StandInExchange

pytestmark = pytest.mark.integration

SYMBOL = "BTC/USDT"
Levels = list[tuple[Decimal, Decimal]]


@pytest.fixture
async def stand_in(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[StandInExchange, CcxtStreamExchange]]:
    clock = FakeClock(SERIES_START_MS + 300_000)
    server = await StandInExchange(request.param, clock.now_ms).start()
    exchange = CcxtStreamExchange(
        request.param, clock=clock, api_base_url=server.url, rate_limit_ms=1, timeout_seconds=2
    )
    yield server, exchange
    await exchange.close()
    await server.stop()


def _levels(*pairs: tuple[str, str]) -> Levels:
    return [(Decimal(price), Decimal(amount)) for price, amount in pairs]


def _sides(book: OrderBook) -> tuple[Levels, Levels]:
    return list(book.bids), list(book.asks)


async def _watch_while(
    exchange: CcxtStreamExchange, push: Callable[[], Awaitable[int]] | None = None
) -> OrderBook:
    # ccxt resolves a watch for the updates that arrive while it waits: wait first, then push.
    watch = asyncio.ensure_future(exchange.watch_order_book(SYMBOL))
    if push is not None:
        await asyncio.sleep(0.05)
        assert await push() == 1
    return await asyncio.wait_for(watch, timeout=5)


@pytest.mark.parametrize("stand_in", ["binance", "bybit", "okx"], indirect=True)
async def test_the_book_follows_the_snapshot_and_each_update_as_exact_decimals(
    stand_in: tuple[StandInExchange, CcxtStreamExchange],
) -> None:
    server, exchange = stand_in

    snapshot = await _watch_while(exchange)
    # A new best bid, a changed level, a removed best ask and a new ask behind the best.
    first = await _watch_while(
        exchange,
        lambda: server.push_book_update(
            bids=[("30010.50", "0.3"), ("30010.30", "4.25")], asks=[("30010.60", "0")]
        ),
    )
    second = await _watch_while(
        exchange,
        lambda: server.push_book_update(bids=[("30010.40", "0")], asks=[("30010.65", "1.1")]),
    )
    third = await _watch_while(
        exchange, lambda: server.push_book_update(asks=[("30010.55", "0.00000001")])
    )

    assert _sides(snapshot) == (
        _levels(("30010.4", "1.5"), ("30010.3", "2")),
        _levels(("30010.6", "0.75"), ("30010.7", "3")),
    )
    assert _sides(first) == (
        _levels(("30010.5", "0.3"), ("30010.4", "1.5"), ("30010.3", "4.25")),
        _levels(("30010.7", "3")),
    )
    assert _sides(second) == (
        _levels(("30010.5", "0.3"), ("30010.3", "4.25")),
        _levels(("30010.65", "1.1"), ("30010.7", "3")),
    )
    assert _sides(third) == (
        _levels(("30010.5", "0.3"), ("30010.3", "4.25")),
        _levels(("30010.55", "0.00000001"), ("30010.65", "1.1"), ("30010.7", "3")),
    )
    for level in (*third.bids, *third.asks):
        assert all(isinstance(value, Decimal) for value in level)
    assert (third.exchange, third.symbol) == (server.exchange_id, SYMBOL)


@pytest.mark.parametrize("stand_in", ["binance"], indirect=True)
async def test_binance_merges_the_rest_snapshot_with_the_diffs_it_buffered(
    stand_in: tuple[StandInExchange, CcxtStreamExchange],
) -> None:
    server, exchange = stand_in

    await _watch_while(exchange)
    depth_requests = [path for path in server.requests if path.startswith("/api/v3/depth")]
    update = await _watch_while(
        exchange, lambda: server.push_book_update(bids=[("30010.45", "0.5")])
    )

    # The snapshot came over REST, once, at ccxt's default depth; the diff chained onto it.
    assert depth_requests == ["/api/v3/depth?symbol=BTCUSDT&limit=1000"]
    assert server.subscribers(server.book_topic()) == 1
    assert list(update.bids)[0] == (Decimal("30010.45"), Decimal("0.5"))


@pytest.mark.parametrize("stand_in", ["binance", "okx"], indirect=True)
async def test_a_missed_update_is_a_retryable_error_not_a_wrong_book(
    stand_in: tuple[StandInExchange, CcxtStreamExchange],
) -> None:
    server, exchange = stand_in
    await _watch_while(exchange)

    with pytest.raises(RetryableError):
        await _watch_while(
            exchange, lambda: server.push_book_update(bids=[("30010.45", "1")], skip_ids=3)
        )
