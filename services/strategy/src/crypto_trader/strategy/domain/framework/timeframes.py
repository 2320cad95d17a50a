"""Higher timeframes for a strategy: resample base candles and align them without lookahead.

A higher-timeframe candle opening at ``H`` covers ``[H, H + T)`` and is visible to a base candle
only once it has closed, i.e. from the base candle that closes at or after ``H + T``. So on a 5m
base, the 1h candle of 10:00-11:00 is first seen by the 10:55 candle (which closes at 11:00), and
the 10:50 candle still sees the 09:00 one. Buckets are aligned to the Unix epoch (as exchanges do).
"""

from __future__ import annotations

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.indicators.frame import (
    CandleFrame,
    FloatArray,
    IntArray,
    PriceBar,
)


def resample(frame: CandleFrame, timeframe_ms: int) -> CandleFrame:
    """Aggregate candles into epoch-aligned buckets of ``timeframe_ms`` (a trailing bucket may be
    partial; ``align`` never shows it before its last candle closes)."""
    if timeframe_ms <= 0:
        raise InvalidInput(f"timeframe must be positive, got {timeframe_ms} ms")
    if len(frame) == 0:
        return frame
    bucket = frame.open_time_ms - frame.open_time_ms % timeframe_ms
    starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    ends = np.concatenate((starts[1:], [len(frame)])) - 1
    return CandleFrame(
        open_time_ms=bucket[starts].astype(np.int64),
        open=frame.open[starts].copy(),
        high=np.maximum.reduceat(frame.high, starts),
        low=np.minimum.reduceat(frame.low, starts),
        close=frame.close[ends].copy(),
        volume=np.add.reduceat(frame.volume, starts),
    )


def align(
    base_open_time_ms: IntArray,
    base_timeframe_ms: int,
    higher_open_time_ms: IntArray,
    higher_timeframe_ms: int,
) -> IntArray:
    """Return, per base candle, the index of the newest higher candle closed by then (-1: none)."""
    base_close = np.asarray(base_open_time_ms, dtype=np.int64) + base_timeframe_ms
    higher_close = np.asarray(higher_open_time_ms, dtype=np.int64) + higher_timeframe_ms
    index: IntArray = np.searchsorted(higher_close, base_close, side="right").astype(np.int64) - 1
    return index


def take(values: FloatArray, index: IntArray) -> FloatArray:
    """Return ``values[index]`` with NaN where the index is -1 (nothing closed yet)."""
    out = np.full(len(index), np.nan)
    visible = index >= 0
    out[visible] = np.asarray(values, dtype=np.float64)[index[visible]]
    return out


def informative(
    frame: CandleFrame, base_timeframe_ms: int, higher_timeframe_ms: int
) -> CandleFrame:
    """Return the higher timeframe resampled from ``frame``, one row per base candle (NaN and
    open time -1 until the first higher candle closes)."""
    higher = resample(frame, higher_timeframe_ms)
    index = align(frame.open_time_ms, base_timeframe_ms, higher.open_time_ms, higher_timeframe_ms)
    open_time = np.where(index >= 0, higher.open_time_ms[np.maximum(index, 0)], -1)
    if len(higher) == 0:
        open_time = np.full(len(frame), -1, dtype=np.int64)
    return CandleFrame(
        open_time_ms=open_time.astype(np.int64),
        open=take(higher.open, index),
        high=take(higher.high, index),
        low=take(higher.low, index),
        close=take(higher.close, index),
        volume=take(higher.volume, index),
    )


class TimeframeAggregator:
    """Event-path resampling: feed base candles, get each higher candle once it has closed."""

    def __init__(self, base_timeframe_ms: int, higher_timeframe_ms: int) -> None:
        if higher_timeframe_ms % base_timeframe_ms:
            raise InvalidInput("the higher timeframe must be a multiple of the base timeframe")
        self.base_timeframe_ms = base_timeframe_ms
        self.higher_timeframe_ms = higher_timeframe_ms
        self._open: PriceBar | None = None
        self.last: PriceBar | None = None

    def on_candle(self, bar: PriceBar) -> PriceBar | None:
        """Add a base candle; return the higher candle it closes, if any (also kept in ``last``)."""
        size = self.higher_timeframe_ms
        start = bar.open_time_ms - bar.open_time_ms % size
        current = self._open
        closed: PriceBar | None = None
        if current is not None and current.open_time_ms != start:
            # A gap skipped the end of that bucket; it has closed by now, as ``align`` sees it.
            closed, current = current, None
        if current is None:
            current = PriceBar(start, bar.open, bar.high, bar.low, bar.close, bar.volume)
        else:
            current = PriceBar(
                start,
                current.open,
                max(current.high, bar.high),
                min(current.low, bar.low),
                bar.close,
                current.volume + bar.volume,
            )
        self._open = current
        if bar.open_time_ms + self.base_timeframe_ms >= start + size:
            self._open, closed = None, current
        if closed is not None:
            self.last = closed
        return closed
