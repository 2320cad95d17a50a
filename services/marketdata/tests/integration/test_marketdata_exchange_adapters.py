"""One adapter suite for every supported exchange, against a stand-in of its REST API (local)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.marketdata.adapters.exchanges import EXCHANGE_PROFILES, CcxtExchange
from crypto_trader.marketdata.adapters.exchanges.testing import (
    SERIES_START_MS,
    STAND_IN_MARKETS,
    StandInExchange,
    series_row,
)

pytestmark = pytest.mark.integration

MINUTE = 60_000
EXCHANGES = ["binance", "coinbase", "kraken", "bybit", "okx"]


@pytest.fixture(params=EXCHANGES)
def exchange_id(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> FakeClock:
    # 30 s into the eleventh candle of the series: candles 0..9 are closed, 10 is forming.
    return FakeClock(SERIES_START_MS + 10 * MINUTE + 30_000)


@pytest.fixture
async def stand_in(exchange_id: str, clock: FakeClock) -> AsyncIterator[StandInExchange]:
    server = await StandInExchange(exchange_id, clock.now_ms).start()
    yield server
    await server.stop()


@pytest.fixture
async def exchange(
    exchange_id: str, clock: FakeClock, stand_in: StandInExchange
) -> AsyncIterator[CcxtExchange]:
    adapter = CcxtExchange(
        exchange_id, clock=clock, api_base_url=stand_in.url, rate_limit_ms=1, timeout_seconds=5
    )
    yield adapter
    await adapter.close()
    assert stand_in.unknown == [], "the adapter asked for endpoints the stand-in does not serve"


def _symbol(exchange_id: str) -> str:
    return str(STAND_IN_MARKETS[exchange_id]["symbol"])


def test_the_five_required_exchanges_have_a_profile() -> None:
    assert set(EXCHANGES) <= set(EXCHANGE_PROFILES)


class TestCcxtExchange:
    async def test_markets_carry_increments_and_limits_as_decimals(
        self, exchange_id: str, exchange: CcxtExchange
    ) -> None:
        expected = STAND_IN_MARKETS[exchange_id]

        markets = await exchange.load_markets()

        rules = markets[_symbol(exchange_id)]
        assert rules.exchange == exchange_id
        assert rules.price_increment == Decimal(expected["price"])
        assert rules.amount_increment == Decimal(expected["amount"])
        assert rules.min_amount == Decimal(expected["min_amount"])
        min_cost = expected["min_cost"]
        assert rules.min_cost == (None if min_cost is None else Decimal(min_cost))
        assert rules.active

    async def test_ohlcv_becomes_decimal_candles_closed_by_exchange_time(
        self, exchange_id: str, exchange: CcxtExchange
    ) -> None:
        symbol = _symbol(exchange_id)

        batch = await exchange.fetch_candles(symbol, "1m", since_ms=SERIES_START_MS, limit=50)

        assert [c.open_time_ms for c in batch.closed] == [
            SERIES_START_MS + index * MINUTE for index in range(10)
        ]
        third = batch.closed[3]
        _, o, h, low, c, v = series_row(third.open_time_ms, "1m")
        assert (third.open, third.high, third.low, third.close, third.volume) == tuple(
            Decimal(value) for value in (o, h, low, c, v)
        )
        assert all(candle.closed and candle.exchange == exchange_id for candle in batch.closed)
        assert batch.forming is not None
        assert batch.forming.open_time_ms == SERIES_START_MS + 10 * MINUTE
        assert batch.forming.closed is False

    async def test_a_candle_is_closed_by_the_exchanges_clock_not_the_local_one(
        self, exchange_id: str, clock: FakeClock, stand_in: StandInExchange
    ) -> None:
        # The exchange runs 45 s ahead: at local :30 it is already :15 of the next candle.
        stand_in.clock_skew_ms = 45_000
        async with CcxtExchange(
            exchange_id, clock=clock, api_base_url=stand_in.url, rate_limit_ms=1
        ) as exchange:
            batch = await exchange.fetch_candles(_symbol(exchange_id), "1m", limit=50)

            assert abs(exchange.clock_offset_ms - 45_000) <= 1_000
        assert batch.closed[-1].open_time_ms == SERIES_START_MS + 10 * MINUTE
        assert batch.forming is not None
        assert batch.forming.open_time_ms == SERIES_START_MS + 11 * MINUTE

    async def test_ticker_trades_and_order_book_are_exact_decimals(
        self, exchange_id: str, exchange: CcxtExchange
    ) -> None:
        symbol = _symbol(exchange_id)

        ticker = await exchange.fetch_ticker(symbol)
        trades = await exchange.fetch_trades(symbol)
        book = await exchange.fetch_order_book(symbol)

        assert (ticker.bid, ticker.ask, ticker.last) == (
            Decimal("30010.4"),
            Decimal("30010.6"),
            Decimal("30010.5"),
        )
        assert sorted((t.price, t.amount) for t in trades) == [
            (Decimal("30010.5"), Decimal("0.012")),
            (Decimal("30010.6"), Decimal("0.5")),
        ]
        assert [t.ts_event for t in trades] == sorted(t.ts_event for t in trades)
        assert {t.side for t in trades} == {"buy", "sell"}
        assert book.bids[0] == (Decimal("30010.4"), Decimal("1.5"))
        assert book.asks[0] == (Decimal("30010.6"), Decimal("0.75"))
        assert book.bids[1][0] < book.bids[0][0] < book.asks[0][0] < book.asks[1][0]

    @pytest.mark.parametrize("status", [429, 503])
    async def test_throttling_and_outages_are_retryable_errors_carrying_the_cause(
        self, exchange_id: str, exchange: CcxtExchange, stand_in: StandInExchange, status: int
    ) -> None:
        import ccxt

        stand_in.fail_status = status

        with pytest.raises(RetryableError) as caught:
            await exchange.fetch_candles(_symbol(exchange_id), "1m", limit=5)

        assert isinstance(caught.value.__cause__, ccxt.NetworkError)

    async def test_an_unknown_symbol_is_invalid_input(self, exchange: CcxtExchange) -> None:
        await exchange.load_markets()

        with pytest.raises(InvalidInput):
            await exchange.fetch_ticker("NOPE/USDT")

    async def test_an_unreachable_exchange_is_a_retryable_error(
        self, exchange_id: str, clock: FakeClock, stand_in: StandInExchange
    ) -> None:
        url = stand_in.url
        await stand_in.stop()
        async with CcxtExchange(
            exchange_id, clock=clock, api_base_url=url, rate_limit_ms=1, timeout_seconds=2
        ) as exchange:
            with pytest.raises(RetryableError):
                await exchange.load_markets()
