"""Resample closed candles to a longer timeframe with exact Decimal OHLCV rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Candle, Timeframe
from crypto_trader.marketdata.domain.market import floor_open_time

RESAMPLE_TARGETS = ("5m", "15m", "1h", "4h", "1d")


def _aggregate(bucket: Sequence[Candle], timeframe: str, open_time_ms: int) -> Candle:
    first = bucket[0]
    return Candle(
        exchange=first.exchange,
        symbol=first.symbol,
        timeframe=timeframe,
        open_time_ms=open_time_ms,
        open=first.open,
        high=max(candle.high for candle in bucket),
        low=min(candle.low for candle in bucket),
        close=bucket[-1].close,
        volume=sum((candle.volume for candle in bucket), start=first.volume * 0),
        closed=True,
        synthetic=any(candle.synthetic for candle in bucket),
    )


def resample(
    candles: Sequence[Candle],
    timeframe: str,
    *,
    now_ms: int | None = None,
    include_partial: bool = False,
) -> list[Candle]:
    """Aggregate candles of one market into ``timeframe`` bins aligned to UTC epoch multiples.

    open = first, high = max, low = min, close = last, volume = sum, as pandas' OHLCV resampling;
    bins without any source candle are not emitted. A bin is closed once the source reaches its
    end (the last source candle closes at or after it) or ``now_ms`` has passed it; the last,
    unfinished bin is dropped, or returned with ``closed=False`` when ``include_partial``.

    Raises
    ------
    InvalidInput
        When the target is not a whole multiple of the source timeframe, the candles mix markets,
        or their open times are not strictly increasing.
    """
    if not candles:
        return []
    source = candles[0]
    source_ms = Timeframe(source.timeframe).milliseconds
    target_ms = Timeframe(timeframe).milliseconds
    if target_ms <= source_ms or target_ms % source_ms:
        raise InvalidInput(
            f"cannot resample {source.timeframe} to {timeframe}: need a longer whole multiple"
        )
    result: list[Candle] = []
    bucket: list[Candle] = []
    bucket_open = 0
    previous_open: int | None = None
    for candle in candles:
        if (candle.exchange, candle.symbol, candle.timeframe) != (
            source.exchange,
            source.symbol,
            source.timeframe,
        ):
            raise InvalidInput("resample needs candles of one market and timeframe")
        if previous_open is not None and candle.open_time_ms <= previous_open:
            raise InvalidInput(f"open times not strictly increasing at {candle.open_time_ms}")
        previous_open = candle.open_time_ms
        open_time = floor_open_time(candle.open_time_ms, target_ms)
        if bucket and open_time != bucket_open:
            result.append(_aggregate(bucket, timeframe, bucket_open))
            bucket = []
        bucket_open = open_time
        bucket.append(candle)
    reached_ms = candles[-1].open_time_ms + source_ms
    if now_ms is not None:
        reached_ms = max(reached_ms, now_ms)
    last = _aggregate(bucket, timeframe, bucket_open)
    if reached_ms >= bucket_open + target_ms:
        result.append(last)
    elif include_partial:
        result.append(replace(last, closed=False))
    return result
