"""Retention on a real store: exactly the expired 1m candles go, other timeframes stay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.retention import DAY_MS, RetentionPolicy
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.maintenance import apply_retention
from crypto_trader.marketdata.testing import BTC_5M, START_MS, make_candles

pytestmark = pytest.mark.integration

BTC_1M = MarketKey("binance", "BTC/USDT", "1m")


@pytest.fixture
def store(database_url: str) -> Iterator[SqlAlchemyCandleStore]:
    candle_store = migrate_store(database_url)
    yield candle_store
    candle_store.dispose()


def test_apply_retention_deletes_exactly_the_expired_one_minute_candles(
    store: SqlAlchemyCandleStore,
) -> None:
    minutes = make_candles(BTC_1M, count=3 * 1440)  # three days of 1m candles
    store.add_candles(minutes)
    store.add_candles(make_candles(BTC_5M, count=100))
    policy = RetentionPolicy({"1m": 1})
    now_ms = START_MS + 2 * DAY_MS + 30 * 60_000  # keeps the last day: from day 1 00:30

    deleted = apply_retention(store, policy, now_ms)

    cutoff = now_ms - DAY_MS
    expired = [c for c in minutes if c.open_time_ms < cutoff]
    assert deleted == {BTC_1M: len(expired)}
    assert store.read_open_times(BTC_1M) == [
        c.open_time_ms for c in minutes if c.open_time_ms >= cutoff
    ]
    assert store.count_candles(BTC_5M) == 100
    assert apply_retention(store, policy, now_ms) == {}
