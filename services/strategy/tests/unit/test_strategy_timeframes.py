"""Higher timeframes: resampling, alignment without lookahead, and the event-path aggregator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework.timeframes import (
    TimeframeAggregator,
    align,
    informative,
    resample,
)
from crypto_trader.strategy.domain.indicators import CandleFrame

FIVE_MINUTES = 300_000
HOUR = 3_600_000


def frame_at(open_times: list[int]) -> CandleFrame:
    count = len(open_times)
    close = 100.0 + np.arange(count, dtype=np.float64)
    return CandleFrame(
        open_time_ms=np.asarray(open_times, dtype=np.int64),
        open=close - 0.5,
        high=close + 1.0,
        low=close - 1.0,
        close=close,
        volume=np.ones(count),
    )


def test_a_higher_candle_is_visible_only_from_the_base_candle_that_closes_it() -> None:
    # 5m candles from 10:00 to 11:55; 1h candles 10:00 and 11:00.
    base = frame_at([10 * HOUR + i * FIVE_MINUTES for i in range(24)])
    higher = resample(base, HOUR)

    index = align(base.open_time_ms, FIVE_MINUTES, higher.open_time_ms, HOUR)

    assert list(higher.open_time_ms) == [10 * HOUR, 11 * HOUR]
    assert list(index[:11]) == [-1] * 11  # 10:00..10:50: the 10:00 hour is still open
    assert index[11] == 0  # the 10:55 candle closes at 11:00
    assert list(index[12:23]) == [0] * 11
    assert index[23] == 1


def test_resampled_candle_aggregates_open_high_low_close_volume() -> None:
    base = frame_at([i * FIVE_MINUTES for i in range(12)])

    hour = resample(base, HOUR)

    assert len(hour) == 1
    assert hour.open[0] == base.open[0] and hour.close[0] == base.close[-1]
    assert hour.high[0] == base.high.max() and hour.low[0] == base.low.min()
    assert hour.volume[0] == 12.0


def test_informative_columns_are_nan_until_the_first_higher_candle_closes() -> None:
    base = frame_at([i * FIVE_MINUTES for i in range(30)])

    hourly = informative(base, FIVE_MINUTES, HOUR)

    assert np.isnan(hourly.close[:11]).all()
    assert (hourly.close[11:23] == base.close[11]).all()
    assert (hourly.close[23:] == base.close[23]).all()


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(st.integers(1, 4), min_size=1, max_size=120),
    cut=st.integers(1, 120),
)
def test_truncating_the_base_candles_never_changes_what_earlier_candles_saw(
    steps: list[int], cut: int
) -> None:
    # Random gaps (1..4 candles apart): no later candle may change an earlier alignment.
    open_times = list(np.cumsum(steps) * FIVE_MINUTES)
    base = frame_at(open_times)
    cut = min(cut, len(base))
    full = informative(base, FIVE_MINUTES, HOUR)
    truncated = informative(base.head(cut), FIVE_MINUTES, HOUR)

    np.testing.assert_array_equal(truncated.close, full.close[:cut])
    np.testing.assert_array_equal(truncated.high, full.high[:cut])

    aggregator = TimeframeAggregator(FIVE_MINUTES, HOUR)
    seen = []
    for i in range(len(base)):
        aggregator.on_candle(base.bar(i))
        seen.append(np.nan if aggregator.last is None else aggregator.last.close)
    np.testing.assert_array_equal(np.asarray(seen), full.close)


def test_aggregator_rejects_a_timeframe_that_is_not_a_multiple() -> None:
    with pytest.raises(InvalidInput):
        TimeframeAggregator(FIVE_MINUTES, 7 * 60_000)
