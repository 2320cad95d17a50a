"""The SQLAlchemy candle store on SQLite and PostgreSQL: upsert-once, range reads, cursors."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from crypto_trader.common.model import Candle
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.testing import BTC_5M, START_MS, make_candles

pytestmark = pytest.mark.integration

STEP = BTC_5M.timeframe_ms


@pytest.fixture
def store(database_url: str) -> Iterator[SqlAlchemyCandleStore]:
    candle_store = migrate_store(database_url)
    yield candle_store
    candle_store.dispose()


class TestUpsertOnce:
    def test_storing_the_same_candles_twice_stores_them_once(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        candles = make_candles(count=6_000)  # more than one chunk

        first = store.add_candles(candles)
        second = store.add_candles(candles)

        assert (first, second) == (6_000, 0)
        assert store.count_candles(BTC_5M) == 6_000

    def test_overlapping_batches_store_only_the_new_candles(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        candles = make_candles(count=30)
        store.add_candles(candles[:20])

        assert store.add_candles(candles[10:]) == 10
        assert store.read_candles(BTC_5M) == candles

    def test_the_first_write_wins(self, store: SqlAlchemyCandleStore) -> None:
        original = make_candles(count=1)
        changed = make_candles(count=1, price=Decimal(7))
        store.add_candles(original)

        store.add_candles(changed)

        assert store.read_candles(BTC_5M) == original

    def test_decimals_survive_exactly(self, store: SqlAlchemyCandleStore) -> None:
        candle = Candle(
            "binance",
            "ADA/BTC",
            "1m",
            START_MS,
            Decimal("0.00002853"),
            Decimal("123456789.123456789"),
            Decimal("0.000000000000000001"),
            Decimal("0.00002854"),
            Decimal("36304.20000000"),
        )
        store.add_candles([candle])

        (loaded,) = store.read_candles(MarketKey("binance", "ADA/BTC", "1m"))

        assert loaded == candle

    def test_synthetic_flag_is_kept(self, store: SqlAlchemyCandleStore) -> None:
        store.add_candles(make_candles(count=2, synthetic=True))

        assert all(candle.synthetic for candle in store.read_candles(BTC_5M))
        assert store.coverage()[0].synthetic


class TestRangeReads:
    @pytest.fixture(autouse=True)
    def _candles(self, store: SqlAlchemyCandleStore) -> None:
        store.add_candles(make_candles(count=50))
        store.add_candles(make_candles(MarketKey("binance", "ETH/USDT", "5m"), count=5))
        store.add_candles(make_candles(MarketKey("kraken", "BTC/USDT", "1h"), count=4))

    def test_start_is_inclusive_and_end_exclusive(self, store: SqlAlchemyCandleStore) -> None:
        candles = store.read_candles(
            BTC_5M, start_ms=START_MS + 10 * STEP, end_ms=START_MS + 13 * STEP
        )
        assert [c.open_time_ms for c in candles] == [START_MS + i * STEP for i in (10, 11, 12)]

    def test_limit_takes_the_oldest_or_with_from_end_the_newest(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        oldest = store.read_candles(BTC_5M, limit=2)
        newest = store.read_candles(BTC_5M, limit=2, from_end=True)
        assert [c.open_time_ms for c in oldest] == [START_MS, START_MS + STEP]
        assert [c.open_time_ms for c in newest] == [START_MS + 48 * STEP, START_MS + 49 * STEP]

    def test_counts_and_finds_the_nth_candle(self, store: SqlAlchemyCandleStore) -> None:
        assert store.count_candles(BTC_5M, start_ms=START_MS + 45 * STEP) == 5
        assert (
            store.nth_open_time(BTC_5M, start_ms=START_MS + STEP, end_ms=None, n=3)
            == START_MS + 3 * STEP
        )
        assert (
            store.nth_open_time(BTC_5M, start_ms=START_MS, end_ms=START_MS + 2 * STEP, n=3) is None
        )

    def test_latest_candle_optionally_not_after_a_time(self, store: SqlAlchemyCandleStore) -> None:
        assert store.latest_candle(BTC_5M).open_time_ms == START_MS + 49 * STEP  # type: ignore[union-attr]
        until = store.latest_candle(BTC_5M, until_open_time_ms=START_MS + 7 * STEP + 1)
        assert until is not None and until.open_time_ms == START_MS + 7 * STEP

    def test_coverage_lists_every_market_with_its_range(self, store: SqlAlchemyCandleStore) -> None:
        coverage = store.coverage()
        assert [(str(c.key), c.candle_count) for c in coverage] == [
            ("binance BTC/USDT 5m", 50),
            ("binance ETH/USDT 5m", 5),
            ("kraken BTC/USDT 1h", 4),
        ]
        assert coverage[0].first_open_time_ms == START_MS
        assert coverage[0].last_open_time_ms == START_MS + 49 * STEP
        assert [str(c.key) for c in store.coverage("kraken")] == ["kraken BTC/USDT 1h"]
        assert store.has_candles(BTC_5M)
        assert not store.has_candles(MarketKey("binance", "BTC/USDT", "1m"))


class TestReplayCursors:
    def test_a_cursor_is_saved_and_moved(self, store: SqlAlchemyCandleStore) -> None:
        assert store.load_cursor(BTC_5M) is None

        store.save_cursor(BTC_5M, START_MS)
        store.save_cursor(BTC_5M, START_MS + STEP)

        assert store.load_cursor(BTC_5M) == START_MS + STEP
        assert store.load_cursor(MarketKey("binance", "BTC/USDT", "1h")) is None

    def test_migrating_again_keeps_the_data(
        self, database_url: str, store: SqlAlchemyCandleStore
    ) -> None:
        store.add_candles(make_candles(count=3))
        store.save_cursor(BTC_5M, START_MS)

        again = migrate_store(database_url)
        try:
            assert again.count_candles(BTC_5M) == 3
            assert again.load_cursor(BTC_5M) == START_MS
        finally:
            again.dispose()
