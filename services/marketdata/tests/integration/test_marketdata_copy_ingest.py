"""Bulk ingest (COPY on PostgreSQL, executemany on SQLite) is idempotent; ranges load as numpy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from decimal import Decimal

import numpy as np
import psycopg
import pytest

from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.testing import BTC_5M, START_MS, make_candles

pytestmark = pytest.mark.integration

ETH_5M = MarketKey("binance", "ETH/USDT", "5m")


@pytest.fixture
def store(database_url: str) -> Iterator[SqlAlchemyCandleStore]:
    candle_store = migrate_store(database_url)
    yield candle_store
    candle_store.dispose()


@pytest.fixture
def postgres_store(postgres_url: str) -> Iterator[SqlAlchemyCandleStore]:
    candle_store = migrate_store(postgres_url)
    yield candle_store
    candle_store.dispose()


class TestBulkIngest:
    def test_ingesting_the_same_rows_again_stores_nothing(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        candles = make_candles(count=3_000)

        assert store.add_candles(candles) == 3_000
        assert store.add_candles(candles) == 0
        assert store.count_candles(BTC_5M) == 3_000

    def test_an_overlapping_batch_stores_only_the_new_rows_and_keeps_the_first_write(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        candles = make_candles(count=100)
        store.add_candles(candles[:60])
        changed = [replace(c, volume=Decimal("9")) for c in candles[40:]]

        assert store.add_candles(changed) == 40
        stored = store.read_candles(BTC_5M)
        assert stored[:60] == candles[:60]
        assert stored[60:] == changed[20:]

    def test_a_batch_mixing_markets_and_repeats_is_stored_once_per_key(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        btc = make_candles(count=10)
        eth = make_candles(ETH_5M, count=10)
        batch = [*btc, *eth, *btc[:5]]

        assert store.add_candles(batch) == 20
        assert store.count_candles(ETH_5M) == 10

    def test_decimals_survive_the_bulk_path_exactly(self, store: SqlAlchemyCandleStore) -> None:
        candle = replace(
            make_candles(count=1)[0],
            open=Decimal("0.000000012345678901"),
            low=Decimal("0.000000012345678900"),
            volume=Decimal("123456789.123456789"),
        )

        store.add_candles([candle])

        assert store.read_candles(BTC_5M) == [candle]

    def test_deletes_only_candles_before_a_time(self, store: SqlAlchemyCandleStore) -> None:
        store.add_candles(make_candles(count=10))

        deleted = store.delete_before(BTC_5M, START_MS + 4 * BTC_5M.timeframe_ms)

        assert deleted == 4
        assert store.read_open_times(BTC_5M)[0] == START_MS + 4 * BTC_5M.timeframe_ms


class TestCopyOnPostgres:
    def test_a_batch_overlapping_a_stored_row_is_merged_not_copied_directly(
        self, postgres_store: SqlAlchemyCandleStore
    ) -> None:
        candles = make_candles(count=50)
        postgres_store.add_candles(candles[25:26])  # a stored row inside the range

        assert postgres_store.add_candles(candles) == 49
        assert postgres_store.read_candles(BTC_5M) == candles


class TestReadFrame:
    def test_reads_a_range_as_int64_times_and_float64_values(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        candles = make_candles(count=20)
        store.add_candles(candles)
        step = BTC_5M.timeframe_ms

        frame = store.read_frame(BTC_5M, START_MS + 5 * step, START_MS + 15 * step)

        assert list(frame.columns) == ["open_time", "open", "high", "low", "close", "volume"]
        assert frame["open_time"].dtype == np.int64
        assert all(frame[name].dtype == np.float64 for name in frame.columns[1:])
        assert frame["open_time"].tolist() == [c.open_time_ms for c in candles[5:15]]
        assert frame["close"].tolist() == [float(c.close) for c in candles[5:15]]
        assert frame["volume"].tolist() == [1.5] * 10

    def test_an_empty_range_gives_an_empty_frame(self, store: SqlAlchemyCandleStore) -> None:
        frame = store.read_frame(BTC_5M)

        assert len(frame) == 0
        assert frame["open_time"].dtype == np.int64


class TestConcurrentWriters:
    def test_direct_copy_losing_a_race_falls_back_to_the_merge(
        self, postgres_url: str, postgres_store: SqlAlchemyCandleStore
    ) -> None:
        candles = make_candles(count=20)
        rival = candles[10]
        with psycopg.connect(postgres_url) as other:
            # Uncommitted: the store's overlap check cannot see it, its COPY waits on the key.
            other.execute(
                "INSERT INTO marketdata_candles (exchange, symbol, timeframe, open_time_ms, "
                "open, high, low, close, volume) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    rival.exchange,
                    rival.symbol,
                    rival.timeframe,
                    rival.open_time_ms,
                    rival.open,
                    rival.high,
                    rival.low,
                    rival.close,
                    rival.volume,
                ),
            )
            with ThreadPoolExecutor(1) as pool:
                stored = pool.submit(postgres_store.add_candles, candles)
                time.sleep(0.5)
                other.commit()
                new = stored.result(timeout=10)

        assert new == 19
        assert postgres_store.read_candles(BTC_5M) == candles
