"""Retention policy: 1m candles expire after the kept days, longer timeframes are kept forever."""

from __future__ import annotations

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey
from crypto_trader.marketdata.domain.retention import (
    DAY_MS,
    RetentionCut,
    RetentionPolicy,
    expired_ranges,
)

NOW = 1_700_000_000_000
BTC_1M = MarketKey("binance", "BTC/USDT", "1m")
BTC_1H = MarketKey("binance", "BTC/USDT", "1h")


def coverage(key: MarketKey, first_ms: int) -> MarketCoverage:
    return MarketCoverage(key, first_ms, NOW, 10, synthetic=False)


class TestExpiredRanges:
    def test_by_default_keeps_one_minute_candles_ninety_days(self) -> None:
        policy = RetentionPolicy()

        cuts = expired_ranges(policy, [coverage(BTC_1M, 0), coverage(BTC_1H, 0)], NOW)

        assert cuts == [RetentionCut(BTC_1M, NOW - 90 * DAY_MS)]

    def test_a_market_with_nothing_old_enough_needs_no_cut(self) -> None:
        policy = RetentionPolicy({"1m": 7})

        assert expired_ranges(policy, [coverage(BTC_1M, NOW - 7 * DAY_MS)], NOW) == []

    def test_refuses_a_non_positive_retention(self) -> None:
        with pytest.raises(InvalidInput):
            RetentionPolicy({"1m": 0})
