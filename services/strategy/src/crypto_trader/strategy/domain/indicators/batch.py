"""Batch indicators over a whole candle frame: TA-Lib calls, composed with numpy where needed.

Each function takes the frame and already validated parameters and returns its outputs as a tuple
of float64 arrays as long as the frame, NaN during warm-up. Definitions not obvious from the name:

- VWAP: typical price (h+l+c)/3 weighted by volume; ``period`` 0 = cumulative from the first
  candle of the frame (TA-Lib's VWAP, no session reset), ``period`` n > 0 = rolling over the last
  n candles (TA-Lib SUMs; NaN for the first n-1 candles and where the window's volume is zero).
- Donchian (TA-Lib DONCHIAN): highest high and lowest low of the last ``period`` candles
  (current one included) and their midpoint.
- Keltner (TA-Lib KC): middle = EMA(typical price, period), bands = middle ± multiplier·ATR
  (Wilder, atr_period); both start so that their first values fall on candle
  max(period - 1, atr_period).
- Ichimoku (TA-Lib MAX/MIN plus numpy shifts): tenkan = (highest high + lowest low)/2 over
  ``tenkan`` candles, kijun the same over ``kijun``; span_a = (tenkan + kijun)/2 and span_b =
  the midpoint over ``senkou``, both shifted forward by ``displacement`` candles (the value at
  candle t was computed at t - displacement).
  The lagging span (chikou) is left out: it is the close shifted backwards, i.e. it looks ahead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import talib

from crypto_trader.strategy.domain.indicators.frame import CandleFrame, FloatArray

Outputs = tuple[FloatArray, ...]

# TA-Lib's stubs declare MA_Type but the package does not re-export it by name.
_SMA = talib.MA_Type.SMA  # type: ignore[attr-defined]


def sma(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (sma,)."""
    return (talib.SMA(frame.field(p["source"]), p["period"]),)


def ema(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (ema,)."""
    return (talib.EMA(frame.field(p["source"]), p["period"]),)


def wma(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (wma,)."""
    return (talib.WMA(frame.field(p["source"]), p["period"]),)


def rsi(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (rsi,)."""
    return (talib.RSI(frame.field(p["source"]), p["period"]),)


def macd(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (macd, signal, hist)."""
    return tuple(talib.MACD(frame.field(p["source"]), p["fast"], p["slow"], p["signal"]))


def bbands(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (upper, middle, lower) around an SMA."""
    return tuple(
        talib.BBANDS(frame.field(p["source"]), p["period"], p["nbdev_up"], p["nbdev_down"], _SMA)
    )


def atr(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (atr,)."""
    return (talib.ATR(frame.high, frame.low, frame.close, p["period"]),)


def adx(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (adx,)."""
    return (talib.ADX(frame.high, frame.low, frame.close, p["period"]),)


def stoch(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (slowk, slowd), both smoothed with SMAs."""
    return tuple(
        talib.STOCH(
            frame.high,
            frame.low,
            frame.close,
            p["fastk_period"],
            p["slowk_period"],
            _SMA,
            p["slowd_period"],
            _SMA,
        )
    )


def obv(frame: CandleFrame, _params: dict[str, Any]) -> Outputs:
    """Return (obv,)."""
    return (talib.OBV(frame.close, frame.volume),)


def vwap(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (vwap,): cumulative when ``period`` is 0, else rolling over ``period`` candles."""
    period = p["period"]
    if period == 0:
        return (talib.VWAP(frame.high, frame.low, frame.close, frame.volume),)
    price_volume = talib.TYPPRICE(frame.high, frame.low, frame.close) * frame.volume
    volume_sum = talib.SUM(frame.volume, period)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = talib.SUM(price_volume, period) / volume_sum
    out[volume_sum == 0.0] = np.nan
    return (out,)


def donchian(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (upper, middle, lower)."""
    return tuple(talib.DONCHIAN(frame.high, frame.low, p["period"]))


def keltner(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (upper, middle, lower)."""
    return tuple(
        talib.KC(frame.high, frame.low, frame.close, p["period"], p["atr_period"], p["multiplier"])
    )


def ichimoku(frame: CandleFrame, p: dict[str, Any]) -> Outputs:
    """Return (tenkan, kijun, span_a, span_b)."""
    tenkan = _midpoint(frame, p["tenkan"])
    kijun = _midpoint(frame, p["kijun"])
    span_a = _shift_forward((tenkan + kijun) / 2.0, p["displacement"])
    span_b = _shift_forward(_midpoint(frame, p["senkou"]), p["displacement"])
    return (tenkan, kijun, span_a, span_b)


def _midpoint(frame: CandleFrame, period: int) -> FloatArray:
    result: FloatArray = (talib.MAX(frame.high, period) + talib.MIN(frame.low, period)) / 2.0
    return result


def _shift_forward(x: FloatArray, shift: int) -> FloatArray:
    out = np.full(x.shape[0], np.nan)
    if shift < x.shape[0]:
        out[shift:] = x[: x.shape[0] - shift]
    return out
