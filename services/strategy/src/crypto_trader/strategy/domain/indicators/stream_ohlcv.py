"""Streaming indicators that read the candle's high, low and volume (ADX, stochastic, channels)."""

# Every update takes the whole candle (one signature for all indicators), used or not.
# ruff: noqa: ARG002

from __future__ import annotations

from collections import deque
from typing import Any

from crypto_trader.strategy.domain.indicators.stream import IndicatorStream, Values
from crypto_trader.strategy.domain.indicators.stream_core import (
    NAN,
    Ema,
    RollingMax,
    RollingMin,
    Sma,
    Wilder,
    is_zero,
    true_range,
)


class AdxStream(IndicatorStream):
    """Stream Wilder's average directional index, seeded exactly as TA-Lib seeds it."""

    __slots__ = (
        "period",
        "count",
        "previous_high",
        "previous_low",
        "previous_close",
        "plus_dm",
        "minus_dm",
        "tr",
        "sum_dx",
        "adx",
    )
    name = "adx"
    outputs = ("adx",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.period: int = params["period"]
        self.count = 0
        self.previous_high = self.previous_low = self.previous_close = 0.0
        self.plus_dm = self.minus_dm = self.tr = self.sum_dx = self.adx = 0.0

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (adx,)."""
        n = self.period
        count = self.count
        self.count = count + 1
        up = high - self.previous_high
        down = self.previous_low - low
        tr = true_range(high, low, self.previous_close)
        self.previous_high, self.previous_low, self.previous_close = high, low, close
        if count == 0:
            return self.last
        plus = minus = 0.0
        if down > 0 and up < down:
            minus = down
        elif up > 0 and up > down:
            plus = up
        if count < n:
            # First n-1 moves: plain sums, as TA-Lib seeds Wilder's smoothing.
            self.plus_dm += plus
            self.minus_dm += minus
            self.tr += tr
            return self.last
        self.plus_dm = self.plus_dm - self.plus_dm / n + plus
        self.minus_dm = self.minus_dm - self.minus_dm / n + minus
        self.tr = self.tr - self.tr / n + tr
        dx = NAN
        if not is_zero(self.tr):
            minus_di = 100.0 * (self.minus_dm / self.tr)
            plus_di = 100.0 * (self.plus_dm / self.tr)
            total = minus_di + plus_di
            if not is_zero(total):
                dx = 100.0 * (abs(minus_di - plus_di) / total)
        if count < 2 * n - 1:
            if dx == dx:
                self.sum_dx += dx
            return self.last
        if count == 2 * n - 1:
            if dx == dx:
                self.sum_dx += dx
            self.adx = self.sum_dx / n
        elif dx == dx:
            self.adx = (self.adx * (n - 1) + dx) / n
        self.last = (self.adx,)
        return self.last


class StochStream(IndicatorStream):
    """Stream the slow stochastic: %K over ``fastk_period`` smoothed by two SMAs."""

    __slots__ = ("count", "fastk_period", "highest", "lowest", "slowk", "slowd")
    name = "stoch"
    outputs = ("slowk", "slowd")

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.count = 0
        self.fastk_period: int = params["fastk_period"]
        self.highest = RollingMax(self.fastk_period)
        self.lowest = RollingMin(self.fastk_period)
        self.slowk = Sma(params["slowk_period"])
        self.slowd = Sma(params["slowd_period"])

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (slowk, slowd)."""
        highest = self.highest.push(high)
        lowest = self.lowest.push(low)
        if self.count < self.fastk_period - 1:
            self.count += 1
            return self.last
        scale = (highest - lowest) / 100.0
        fastk = (close - lowest) / scale if scale != 0.0 else 0.0
        slowk = self.slowk.push(fastk)
        if slowk != slowk:
            return self.last
        slowd = self.slowd.push(slowk)
        if slowd == slowd:
            self.last = (slowk, slowd)
        return self.last


class ObvStream(IndicatorStream):
    """Stream on-balance volume, starting (as TA-Lib does) at the first candle's volume."""

    __slots__ = ("started", "previous_close", "obv")
    name = "obv"
    outputs = ("obv",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.started = False
        self.previous_close = 0.0
        self.obv = 0.0

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (obv,)."""
        if not self.started:
            self.started = True
            self.obv = volume
        elif close > self.previous_close:
            self.obv += volume
        elif close < self.previous_close:
            self.obv -= volume
        self.previous_close = close
        self.last = (self.obv,)
        return self.last


class VwapStream(IndicatorStream):
    """Stream the VWAP of the typical price (h+l+c)/3: cumulative (period 0) or rolling."""

    __slots__ = ("period", "price_volume", "volume", "window")
    name = "vwap"
    outputs = ("vwap",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.period: int = params["period"]
        self.price_volume = 0.0
        self.volume = 0.0
        self.window: deque[list[float]] = deque()

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (vwap,)."""
        price_volume = (high + low + close) / 3.0 * volume
        self.price_volume += price_volume
        self.volume += volume
        out = self.price_volume / self.volume if self.volume != 0.0 else NAN
        if self.period:
            window = self.window
            window.append([price_volume, volume])
            if len(window) < self.period:
                out = NAN
            else:
                trailing = window.popleft()
                self.price_volume -= trailing[0]
                self.volume -= trailing[1]
        self.last = (out,)
        return self.last


class DonchianStream(IndicatorStream):
    """Stream Donchian channels: highest high, lowest low over ``period`` and their midpoint."""

    __slots__ = ("count", "period", "highest", "lowest")
    name = "donchian"
    outputs = ("upper", "middle", "lower")

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.count = 0
        self.period: int = params["period"]
        self.highest = RollingMax(self.period)
        self.lowest = RollingMin(self.period)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (upper, middle, lower)."""
        upper = self.highest.push(high)
        lower = self.lowest.push(low)
        if self.count < self.period - 1:
            self.count += 1
            return self.last
        self.last = (upper, (upper + lower) / 2.0, lower)
        return self.last


class KeltnerStream(IndicatorStream):
    """Stream Keltner channels: EMA(typical price, period) ± multiplier·ATR(atr_period)."""

    __slots__ = ("count", "ema_start", "atr_start", "multiplier", "ema", "previous_close", "atr")
    name = "keltner"
    outputs = ("upper", "middle", "lower")

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        period, atr_period = params["period"], params["atr_period"]
        lookback = max(period - 1, atr_period)
        # TA-Lib's KC starts the EMA and the ATR late enough that both first appear at `lookback`.
        self.count = 0
        self.ema_start = lookback - (period - 1)
        self.atr_start = lookback - atr_period
        self.multiplier: float = params["multiplier"]
        self.ema = Ema(period)
        self.previous_close = 0.0
        self.atr = Wilder(atr_period)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (upper, middle, lower)."""
        count = self.count
        self.count = count + 1
        middle = atr = NAN
        if count >= self.ema_start:
            middle = self.ema.push((high + low + close) / 3.0)
        if count > self.atr_start:
            atr = self.atr.push(true_range(high, low, self.previous_close))
        self.previous_close = close
        if middle == middle and atr == atr:
            band = self.multiplier * atr
            self.last = (middle + band, middle, middle - band)
        return self.last


class IchimokuStream(IndicatorStream):
    """Stream Ichimoku: tenkan, kijun and both leading spans shifted forward by ``displacement``."""

    __slots__ = (
        "count",
        "tenkan_period",
        "kijun_period",
        "senkou_period",
        "tenkan_high",
        "tenkan_low",
        "kijun_high",
        "kijun_low",
        "senkou_high",
        "senkou_low",
        "pending",
    )
    name = "ichimoku"
    outputs = ("tenkan", "kijun", "span_a", "span_b")

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.count = 0
        self.tenkan_period: int = params["tenkan"]
        self.kijun_period: int = params["kijun"]
        self.senkou_period: int = params["senkou"]
        self.tenkan_high, self.tenkan_low = (
            RollingMax(params["tenkan"]),
            RollingMin(params["tenkan"]),
        )
        self.kijun_high, self.kijun_low = RollingMax(params["kijun"]), RollingMin(params["kijun"])
        self.senkou_high, self.senkou_low = (
            RollingMax(params["senkou"]),
            RollingMin(params["senkou"]),
        )
        # Spans computed now are plotted `displacement` candles ahead: hold them back until then.
        self.pending: deque[list[float]] = deque(maxlen=params["displacement"] + 1)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (tenkan, kijun, span_a, span_b)."""
        count = self.count
        self.count = count + 1
        tenkan = (self.tenkan_high.push(high) + self.tenkan_low.push(low)) / 2.0
        kijun = (self.kijun_high.push(high) + self.kijun_low.push(low)) / 2.0
        span_b = (self.senkou_high.push(high) + self.senkou_low.push(low)) / 2.0
        if count < self.tenkan_period - 1:
            tenkan = NAN
        if count < self.kijun_period - 1:
            kijun = NAN
        if count < self.senkou_period - 1:
            span_b = NAN
        pending = self.pending
        pending.append([(tenkan + kijun) / 2.0, span_b])
        shifted = pending[0] if len(pending) == pending.maxlen else (NAN, NAN)
        self.last = (tenkan, kijun, shifted[0], shifted[1])
        return self.last
