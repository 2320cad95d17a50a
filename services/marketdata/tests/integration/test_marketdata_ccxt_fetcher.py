"""The ccxt fetcher against the real network: bounded in time, clean failure when unreachable."""

from __future__ import annotations

import time

import pytest

from crypto_trader.common.clock import LiveClock
from crypto_trader.common.errors import RetryableError
from crypto_trader.marketdata.adapters.ccxt_fetcher import CcxtOhlcvFetcher
from crypto_trader.marketdata.domain.market import MarketKey

pytestmark = pytest.mark.integration


async def test_an_exchange_unknown_to_ccxt_is_a_retryable_failure() -> None:
    fetcher = CcxtOhlcvFetcher(timeout_seconds=1, clock=LiveClock())

    with pytest.raises(RetryableError, match="does not know"):
        await fetcher.fetch_recent(MarketKey("nowhere", "BTC/USDT", "5m"), limit=5)


async def test_binance_answers_or_fails_cleanly_within_the_timeout() -> None:
    # Offline machines must fail fast and cleanly; online ones get real closed candles.
    fetcher = CcxtOhlcvFetcher(timeout_seconds=2, clock=LiveClock())
    key = MarketKey("binance", "BTC/USDT", "5m")
    started = time.monotonic()

    try:
        candles = await fetcher.fetch_recent(key, limit=5)
    except RetryableError:
        candles = None
    elapsed = time.monotonic() - started

    assert elapsed < 4
    if candles is not None:
        assert 0 < len(candles) <= 5
        assert all(candle.closed and not candle.synthetic for candle in candles)
        assert candles[-1].close_time_ms <= LiveClock().now_ms()
