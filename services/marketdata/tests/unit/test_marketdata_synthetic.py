"""The synthetic random walk: deterministic, valid, consecutive and labelled synthetic."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.synthetic import random_walk_candles
from crypto_trader.marketdata.testing import BTC_5M, START_MS


def test_same_seed_gives_the_same_candles() -> None:
    first = random_walk_candles(BTC_5M, start_ms=START_MS, count=200, seed=7)
    again = random_walk_candles(BTC_5M, start_ms=START_MS, count=200, seed=7)
    assert first == again


def test_different_seeds_give_different_walks() -> None:
    first = random_walk_candles(BTC_5M, start_ms=START_MS, count=50, seed=7)
    other = random_walk_candles(BTC_5M, start_ms=START_MS, count=50, seed=8)
    assert [c.close for c in first] != [c.close for c in other]


def test_every_candle_is_flagged_synthetic_and_closed() -> None:
    candles = random_walk_candles(BTC_5M, start_ms=START_MS, count=100, seed=1)
    assert all(candle.synthetic and candle.closed for candle in candles)


def test_start_is_rounded_down_to_the_timeframe() -> None:
    candles = random_walk_candles(BTC_5M, start_ms=START_MS + 123_456, count=1, seed=1)
    assert candles[0].open_time_ms == START_MS


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    count=st.integers(min_value=1, max_value=300),
    timeframe=st.sampled_from(["1m", "5m", "1h", "1d"]),
)
def test_walk_is_consecutive_continuous_and_exact(seed: int, count: int, timeframe: str) -> None:
    key = MarketKey("binance", "ETH/USDT", timeframe)
    candles = random_walk_candles(key, start_ms=START_MS, count=count, seed=seed)
    assert len(candles) == count
    for previous, candle in zip(candles, candles[1:], strict=False):
        assert candle.open_time_ms - previous.open_time_ms == key.timeframe_ms
        assert candle.open == previous.close
    for candle in candles:
        assert (
            candle.low
            <= min(candle.open, candle.close)
            <= max(candle.open, candle.close)
            <= candle.high
        )
        assert candle.low > 0
        assert candle.volume >= 0
        assert candle.close.as_tuple().exponent >= -2
