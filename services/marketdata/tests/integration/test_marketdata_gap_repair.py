"""Gap repair against the SQLite and PostgreSQL stores: holes refilled once, outages remembered."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.adapters.candle_files import read_candle_file
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.domain.gap_repair import OpenTimeRange, stored_holes
from crypto_trader.marketdata.domain.market import CandleBatch, MarketKey
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.repair import RepairReport, plan_market_repair, repair_gaps
from crypto_trader.marketdata.testing import START_MS, make_candles

pytestmark = pytest.mark.integration

KEY = MarketKey("binance", "BTC/USDT", "1m")
STEP = KEY.timeframe_ms
SERIES = make_candles(KEY, count=40)
NFI_BTC_1H = Path("nostalgiaforinfinity/binance/BTC_USDT-1h.json")


class ExchangeSeries:
    """Serve a candle series page by page from ``since_ms``, as an exchange's OHLCV API does."""

    def __init__(self, candles: list[Candle], *, fail_after: int | None = None) -> None:
        self.candles = candles
        self.asked: list[int | None] = []
        self._fail_after = fail_after

    async def fetch_candles(  # noqa: ARG002 - the timeframe is the series' own
        self, symbol: str, timeframe: str, *, since_ms: int | None = None, limit: int | None = None
    ) -> CandleBatch:
        assert symbol == self.candles[0].symbol
        if self._fail_after is not None and len(self.asked) >= self._fail_after:
            raise RetryableError("exchange away")
        self.asked.append(since_ms)
        rows = [c for c in self.candles if since_ms is None or c.open_time_ms >= since_ms]
        return CandleBatch(tuple(rows[:limit]))


@pytest.fixture
def store(database_url: str) -> Iterator[SqlAlchemyCandleStore]:
    candle_store = migrate_store(database_url)
    yield candle_store
    candle_store.dispose()


def _without(indexes: range | list[int]) -> list[Candle]:
    dropped = set(indexes)
    return [candle for index, candle in enumerate(SERIES) if index not in dropped]


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def _range(first: int, end: int) -> OpenTimeRange:
    return OpenTimeRange(START_MS + first * STEP, START_MS + end * STEP)


def _repair(
    store: SqlAlchemyCandleStore,
    exchange: ExchangeSeries,
    *,
    since_ms: int | None = None,
    key: MarketKey = KEY,
    page: int = 4,
) -> RepairReport:
    async def run() -> RepairReport:
        plan = await plan_market_repair(store, key, since_ms=since_ms)
        return await repair_gaps(store, exchange, key, plan, page=page)

    return asyncio.run(run())


class TestRepairGaps:
    def test_an_exchange_with_the_missing_candles_leaves_no_gap_and_no_duplicate(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        store.add_candles(_without([*range(3, 13), 20, 21]))
        exchange = ExchangeSeries(SERIES)

        report = _repair(store, exchange)

        assert report.stored == 12
        assert report.no_data == []
        assert store.read_candles(KEY) == SERIES
        assert store.count_candles(KEY) == len(SERIES)
        assert stored_holes(store.read_open_times(KEY), STEP) == []

    def test_an_exchange_without_them_is_reported_remembered_and_not_asked_again(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        store.add_candles(_without(range(5, 9)))
        exchange = ExchangeSeries(_without(range(5, 9)))

        first = _repair(store, exchange)
        asked_before = len(exchange.asked)
        second = _repair(store, exchange)

        assert first.no_data == [_range(5, 9)]
        assert first.stored == 0
        assert store.load_outages(KEY) == [_range(5, 9)]
        assert second.plan.to_fetch == []
        assert second.plan.known_empty == [_range(5, 9)]
        assert len(exchange.asked) == asked_before

    def test_a_partly_served_gap_stores_what_exists_and_remembers_the_rest(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        store.add_candles(_without(range(10, 30)))
        exchange = ExchangeSeries(_without(range(10, 16)))

        report = _repair(store, exchange)

        assert report.stored == 14
        assert report.no_data == [_range(10, 16)]
        assert stored_holes(store.read_open_times(KEY), STEP) == [_range(10, 16)]

    def test_a_since_before_the_stored_range_fetches_the_lead(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        store.add_candles(SERIES[25:])

        report = _repair(store, ExchangeSeries(SERIES), since_ms=START_MS + 20 * STEP)

        assert report.stored == 5
        assert store.read_candles(KEY) == SERIES[20:]

    def test_an_exchange_failing_midway_keeps_what_was_stored_and_remembers_nothing(
        self, store: SqlAlchemyCandleStore
    ) -> None:
        store.add_candles(_without(range(5, 15)))

        with pytest.raises(RetryableError):
            _repair(store, ExchangeSeries(SERIES, fail_after=1))

        assert store.count_candles(KEY) == len(SERIES) - 10 + 4
        assert store.load_outages(KEY) == []


def test_real_binance_outages_are_reported_while_a_lost_day_is_refilled(
    store: SqlAlchemyCandleStore, shared_data_dir: Path
) -> None:
    key = MarketKey("binance", "BTC/USDT", "1h")
    real = list(
        read_candle_file(
            shared_data_dir / NFI_BTC_1H, exchange="binance", symbol="BTC/USDT", timeframe="1h"
        ).candles
    )
    store.add_candles(real[:1000] + real[1024:])  # a day lost by a stopped download
    exchange = ExchangeSeries(real)  # the exchange has the day, but not its own outages

    report = _repair(store, exchange, key=key, page=500)
    again = _repair(store, exchange, key=key, page=500)

    assert report.stored == 24
    assert len(report.no_data) == 6
    assert OpenTimeRange(_ms("2021-04-25T05:00"), _ms("2021-04-25T08:00")) in report.no_data
    assert store.read_candles(key) == real
    assert (again.plan.to_fetch, again.plan.known_empty) == ([], report.no_data)
