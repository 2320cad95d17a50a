"""Technical indicators behind one API: a registry of specs, batch over arrays, and streams.

Indicators: sma, ema, wma, rsi, macd, bbands, atr, adx, stoch, obv, vwap, donchian, keltner,
ichimoku (``INDICATORS[name]`` gives each one's parameters, defaults, outputs and warm-up).
Batch values come from TA-Lib (Ichimoku and the rolling VWAP composed from TA-Lib's MAX, MIN
and SUM; definitions in ``batch``); streams are O(1) per candle, equal the batch values to
rounding (tested to 1e-9), and snapshot to a plain dict so a strategy's state survives a restart.

Batch, over float64 arrays (oldest first)::

    from crypto_trader.strategy.domain.indicators import CandleFrame, compute, indicator

    frame = CandleFrame(open_time_ms=t, open=o, high=h, low=l, close=c, volume=v)  # or from_rows
    bands = compute("bbands", frame, period=20, nbdev_up=2.0, nbdev_down=2.0)
    bands["upper"], bands["middle"], bands["lower"]                  # arrays, NaN in warm-up
    indicator("bbands").warmup(period=20)                            # 19: first defined index

Streaming, one closed candle at a time::

    from crypto_trader.strategy.domain.indicators import open_stream, restore_stream

    rsi = open_stream("rsi", period=14)
    for candle in history:                         # warm up
        rsi.update(candle.open, candle.high, candle.low, candle.close, candle.volume)
    (value,) = rsi.update(o, h, l, c, v)           # outputs in spec order; NaN while warming
    rsi.peek(o2, h2, l2, c2, v2)                   # forming candle: the state does not move
    saved = rsi.snapshot()                         # plain dict (JSON-able)
    rsi = restore_stream(saved)                    # continues exactly where it stopped

``CandleFrame`` (candles as columns, with open times) and ``PriceBar`` (one closed candle) are
the candle types of the whole strategy domain: strategies and backtests take them too.

Bad names or parameters raise ``crypto_trader.common.errors.InvalidInput``. Inputs must be
finite; a stream does not check (it is on the hot path).
"""

from crypto_trader.strategy.domain.indicators.catalog import (
    INDICATORS,
    IndicatorSpec,
    Param,
    compute,
    indicator,
    open_stream,
    restore_stream,
)
from crypto_trader.strategy.domain.indicators.frame import CandleFrame, PriceBar
from crypto_trader.strategy.domain.indicators.stream import IndicatorStream

__all__ = [
    "INDICATORS",
    "CandleFrame",
    "IndicatorSpec",
    "IndicatorStream",
    "Param",
    "PriceBar",
    "compute",
    "indicator",
    "open_stream",
    "restore_stream",
]
