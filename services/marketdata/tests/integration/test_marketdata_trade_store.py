"""The SQLAlchemy trade store on SQLite and PostgreSQL: stored once, replay order, cursors."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from crypto_trader.marketdata.adapters.trade_store import SqlAlchemyTradeStore
from crypto_trader.marketdata.domain.trade import TradeTick
from crypto_trader.marketdata.importer import import_trade_file, migrate_database
from crypto_trader.marketdata.testing import BTC_5M, START_MS, make_trades

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = migrate_database(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> SqlAlchemyTradeStore:
    return SqlAlchemyTradeStore(engine)


def _all(store: SqlAlchemyTradeStore, *, page: int | None = None) -> list[TradeTick]:
    # Read the whole market page by page, as the replay does.
    found: list[TradeTick] = []
    while True:
        after = found[-1].order if found else None
        batch = store.read_trades("binance", "BTC/USDT", after=after, limit=page)
        found += batch
        if page is None or not batch:
            return found


class TestStoredOnce:
    def test_storing_the_same_trades_twice_stores_them_once(
        self, store: SqlAlchemyTradeStore
    ) -> None:
        trades = make_trades(times_ms=[START_MS + n // 3 for n in range(6_000)])  # > one chunk

        assert (store.add_trades(trades), store.add_trades(trades[3000:])) == (6_000, 0)
        assert store.count_trades("binance", "BTC/USDT") == 6_000

    def test_the_first_write_wins_and_prices_stay_exact(self, store: SqlAlchemyTradeStore) -> None:
        original = make_trades(times_ms=[START_MS], price=Decimal("0.000000012345678901"))
        store.add_trades(original)

        store.add_trades([dataclasses.replace(original[0], price=Decimal(5))])

        assert _all(store) == original


class TestReplayOrder:
    def test_reads_by_time_then_id_with_numeric_ids_as_numbers_across_pages(
        self, store: SqlAlchemyTradeStore
    ) -> None:
        # 30 trades in one millisecond whose ids cross from 3 to 4 digits, then a later one.
        trades = make_trades(times_ms=[START_MS] * 30 + [START_MS + 1], first_id=980)
        store.add_trades(trades[::-1])

        assert _all(store, page=7) == trades

    def test_ids_that_are_not_numbers_page_by_length_then_bytes(
        self, store: SqlAlchemyTradeStore
    ) -> None:
        ids = ["a-b", "a_c", "ab", "A-z", "a.b"]
        trades = [
            dataclasses.replace(trade, trade_id=trade_id)
            for trade, trade_id in zip(make_trades(times_ms=[START_MS] * 5), ids, strict=True)
        ]
        store.add_trades(trades)

        expected = sorted(ids, key=lambda trade_id: (len(trade_id), trade_id))
        assert [trade.trade_id for trade in _all(store, page=2)] == expected

    def test_reads_a_time_range(self, store: SqlAlchemyTradeStore) -> None:
        trades = make_trades(times_ms=[START_MS + n * 1000 for n in range(10)])
        store.add_trades(trades)

        found = store.read_trades(
            "binance", "BTC/USDT", start_ms=START_MS + 2000, end_ms=START_MS + 5000
        )

        assert found == trades[2:5]
        assert store.read_trades("binance", "ETH/USDT") == []


class TestCursor:
    def test_remembers_the_last_trade_published(self, store: SqlAlchemyTradeStore) -> None:
        first, second = make_trades(times_ms=[START_MS, START_MS + 1])
        assert store.load_trade_cursor("binance", "BTC/USDT") is None

        store.save_trade_cursor(first)
        store.save_trade_cursor(second)

        assert store.load_trade_cursor("binance", "BTC/USDT") == second.order
        assert store.load_trade_cursor(BTC_5M.exchange, "ETH/USDT") is None


def test_imports_a_real_trade_file_once(database_url: str, shared_data_dir: Path) -> None:
    path = shared_data_dir / "freqtrade" / "XRP_ETH-trades.feather"

    first = import_trade_file(database_url, path, exchange="binance", symbol="XRP/ETH")
    again = import_trade_file(database_url, path, exchange="binance", symbol="XRP/ETH")

    assert (first.rows_read, first.stored, first.rejected_total) == (12_477, 12_477, 0)
    assert (again.stored, again.duplicates_skipped) == (0, 12_477)
    assert (first.first_ts_ms, first.last_ts_ms) == (1570752011620, 1570965568844)
