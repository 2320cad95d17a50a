"""History, coverage and ticker queries answered from the store."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.marketdata import handlers
from crypto_trader.marketdata.domain.candle_query import DEFAULT_PAGE, MAX_PAGE, candle_query
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import ReplayStatus
from crypto_trader.marketdata.testing import BTC_5M, START_MS, InMemoryCandleStore, make_candles

BTC_1H = MarketKey("binance", "BTC/USDT", "1h")
ETH_5M = MarketKey("binance", "ETH/USDT", "5m")


@pytest.fixture
def store() -> InMemoryCandleStore:
    return InMemoryCandleStore(
        [
            *make_candles(BTC_5M, count=20),
            *make_candles(BTC_1H, count=3, price=Decimal(500)),
            *make_candles(ETH_5M, count=2),
        ]
    )


def get(store: InMemoryCandleStore, **overrides: object) -> list:
    query: dict[str, object] = {"exchange": "binance", "symbol": "BTC/USDT", "timeframe": "5m"}
    query.update(overrides)
    return handlers.get_candles(store, **query)  # type: ignore[arg-type]


class TestCandleQuery:
    def test_zero_limit_means_the_default_page_and_big_limits_are_capped(self) -> None:
        assert (
            candle_query(BTC_5M, start_ms=0, end_ms=0, limit=0, from_end=False).limit
            == DEFAULT_PAGE
        )
        assert (
            candle_query(BTC_5M, start_ms=0, end_ms=0, limit=10**6, from_end=False).limit
            == MAX_PAGE
        )

    @pytest.mark.parametrize(
        ("start_ms", "end_ms", "limit", "message"),
        [(-1, 0, 0, "negative"), (0, 0, -5, "limit"), (10, 10, 0, "after")],
    )
    def test_rejects_bad_bounds(self, start_ms: int, end_ms: int, limit: int, message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            candle_query(BTC_5M, start_ms=start_ms, end_ms=end_ms, limit=limit, from_end=False)


class TestGetCandles:
    def test_returns_the_range_oldest_first(self, store: InMemoryCandleStore) -> None:
        step = BTC_5M.timeframe_ms
        candles = get(store, start_ms=START_MS + 2 * step, end_ms=START_MS + 5 * step)
        assert [c.open_time_ms for c in candles] == [START_MS + i * step for i in (2, 3, 4)]

    def test_from_end_returns_the_newest_candles_oldest_first(
        self, store: InMemoryCandleStore
    ) -> None:
        candles = get(store, limit=3, from_end=True)
        assert [c.close for c in candles] == [Decimal(118), Decimal(119), Decimal(120)]

    def test_the_first_candle_after_a_time(self, store: InMemoryCandleStore) -> None:
        candles = get(store, start_ms=START_MS + 1, limit=1)
        assert candles[0].open_time_ms == START_MS + BTC_5M.timeframe_ms

    def test_the_replayed_market_ends_at_the_last_published_candle(
        self, store: InMemoryCandleStore
    ) -> None:
        step = BTC_5M.timeframe_ms
        status = ReplayStatus(key=BTC_5M, source="file", published=5)
        status.horizon_ms = START_MS + 4 * step

        newest = get(store, limit=3, from_end=True, status=status)
        after_last = get(store, start_ms=START_MS + 4 * step + 1, limit=1, status=status)
        other_market = get(store, timeframe="1h", limit=1, from_end=True, status=status)

        assert [c.open_time_ms for c in newest] == [START_MS + i * step for i in (2, 3, 4)]
        assert after_last == []
        assert other_market[0].close == Decimal(503)

    def test_nothing_of_the_replayed_market_exists_before_its_first_candle(
        self, store: InMemoryCandleStore
    ) -> None:
        status = ReplayStatus(key=BTC_5M, source="file")
        assert get(store, status=status) == []

    def test_history_is_retryable_while_the_replay_chooses_its_source(
        self, store: InMemoryCandleStore
    ) -> None:
        with pytest.raises(RetryableError):
            get(store, status=ReplayStatus())

    def test_unknown_symbol_names_the_supported_ones(self, store: InMemoryCandleStore) -> None:
        with pytest.raises(InvalidInput, match=r"unknown symbol 'DOGE/USDT'.*BTC/USDT, ETH/USDT"):
            get(store, symbol="DOGE/USDT")

    def test_unknown_timeframe_names_the_supported_ones(self, store: InMemoryCandleStore) -> None:
        with pytest.raises(InvalidInput, match=r"unknown timeframe '1m'.*supported: 5m, 1h"):
            get(store, timeframe="1m")

    def test_unknown_exchange_names_the_supported_ones(self, store: InMemoryCandleStore) -> None:
        with pytest.raises(InvalidInput, match=r"unknown exchange 'kraken'; supported: binance"):
            get(store, exchange="kraken")

    @pytest.mark.parametrize(
        ("field", "value"), [("symbol", "btcusdt"), ("timeframe", "five"), ("exchange", "")]
    )
    def test_malformed_parts_are_invalid_input(
        self, store: InMemoryCandleStore, field: str, value: str
    ) -> None:
        with pytest.raises(InvalidInput):
            get(store, **{field: value})


class TestTickerAndCoverage:
    def test_replayed_market_shows_the_last_published_close_not_the_future(
        self, store: InMemoryCandleStore
    ) -> None:
        status = ReplayStatus(key=BTC_5M, published=5, last_open_time_ms=START_MS + 4 * 300_000)

        candle = handlers.get_ticker(store, status, exchange="binance", symbol="BTC/USDT")

        assert candle.close == Decimal(105)

    def test_replayed_market_has_no_price_before_the_first_publish(
        self, store: InMemoryCandleStore
    ) -> None:
        with pytest.raises(InvalidInput, match="no price"):
            handlers.get_ticker(
                store, ReplayStatus(key=BTC_5M), exchange="binance", symbol="BTC/USDT"
            )

    def test_other_markets_show_the_newest_stored_close(self, store: InMemoryCandleStore) -> None:
        candle = handlers.get_ticker(
            store, ReplayStatus(key=BTC_5M), exchange="binance", symbol="ETH/USDT"
        )
        assert candle.close == Decimal(102)

    def test_lists_exchanges_and_coverage(self, store: InMemoryCandleStore) -> None:
        assert handlers.list_exchanges(store, "kraken") == ["binance", "kraken"]
        coverage = handlers.list_symbols(store, "binance")
        assert [(c.key.symbol, c.key.timeframe, c.candle_count) for c in coverage] == [
            ("BTC/USDT", "1h", 3),
            ("BTC/USDT", "5m", 20),
            ("ETH/USDT", "5m", 2),
        ]
        assert handlers.list_symbols(store, "kraken") == []
