"""Streaming indicators: one closed candle per ``update``, values equal to the batch functions.

Each class matches one batch function of ``batch`` bar for bar (NaN during the same warm-up).
``update`` costs O(1) (amortised O(1) for window extremes). State lives in slots, so
``snapshot()`` gives a plain dict that ``catalog.restore_stream`` turns back into a stream which
continues exactly where the first one stopped.
"""

# Every update takes the whole candle (one signature for all indicators), used or not.
# ruff: noqa: ARG002

from __future__ import annotations

import math
from collections import deque
from typing import Any, ClassVar

from crypto_trader.strategy.domain.indicators.frame import FIELDS
from crypto_trader.strategy.domain.indicators.stream_core import (
    NAN,
    Ema,
    Sma,
    Stateful,
    Wilder,
    is_zero,
    true_range,
)

Values = tuple[float, ...]


class IndicatorStream(Stateful):
    """Feed closed candles one at a time; read, peek and snapshot the indicator's outputs."""

    __slots__ = ("params", "last")
    name: ClassVar[str]
    outputs: ClassVar[tuple[str, ...]]

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = dict(params)
        self.last: Values = (NAN,) * len(self.outputs)

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return the outputs at it (NaN while warming up)."""
        raise NotImplementedError

    def peek(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Return what ``update`` would return for a forming candle, leaving the state as it is."""
        twin: IndicatorStream = self.clone()
        return twin.update(open, high, low, close, volume)

    @property
    def value(self) -> Values:
        """Return the outputs at the last closed candle."""
        return self.last

    def snapshot(self) -> dict[str, Any]:
        """Return the indicator name, parameters and state as a plain dict (strict JSON, no NaN)."""
        return {"indicator": self.name, "params": dict(self.params), "state": self.state()}


class _SourceStream(IndicatorStream):
    __slots__ = ("source",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.source = FIELDS.index(params.get("source", "close"))


class SmaStream(_SourceStream):
    """Stream the simple moving average of one candle field."""

    __slots__ = ("sma",)
    name = "sma"
    outputs = ("sma",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.sma = Sma(params["period"])

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (sma,)."""
        self.last = (self.sma.push((open, high, low, close, volume)[self.source]),)
        return self.last


class EmaStream(_SourceStream):
    """Stream the exponential moving average of one candle field."""

    __slots__ = ("ema",)
    name = "ema"
    outputs = ("ema",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.ema = Ema(params["period"])

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (ema,)."""
        self.last = (self.ema.push((open, high, low, close, volume)[self.source]),)
        return self.last


class WmaStream(_SourceStream):
    """Stream the linearly weighted moving average (weights 1..n, newest heaviest)."""

    __slots__ = ("period", "divider", "plain_sum", "weighted_sum", "window")
    name = "wma"
    outputs = ("wma",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.period: int = params["period"]
        self.divider = self.period * (self.period + 1) / 2.0
        self.plain_sum = 0.0
        self.weighted_sum = 0.0
        self.window: deque[float] = deque()

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (wma,)."""
        x = (open, high, low, close, volume)[self.source]
        window = self.window
        window.append(x)
        self.plain_sum += x
        if len(window) < self.period:
            self.weighted_sum += x * len(window)
            self.last = (NAN,)
            return self.last
        self.weighted_sum += x * self.period
        out = self.weighted_sum / self.divider
        # TA-Lib order: the output is read, then the window slides (all weights drop by one).
        self.weighted_sum -= self.plain_sum
        self.plain_sum -= window.popleft()
        self.last = (out,)
        return self.last


class RsiStream(_SourceStream):
    """Stream Wilder's relative strength index."""

    __slots__ = ("period", "count", "previous", "gain", "loss")
    name = "rsi"
    outputs = ("rsi",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.period: int = params["period"]
        self.count = 0
        self.previous = 0.0
        self.gain = 0.0
        self.loss = 0.0

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (rsi,)."""
        x = (open, high, low, close, volume)[self.source]
        n = self.period
        count = self.count
        diff = x - self.previous
        self.previous = x
        if count > n:
            self.gain *= n - 1
            self.loss *= n - 1
            if diff < 0:
                self.loss -= diff
            else:
                self.gain += diff
            self.gain /= n
            self.loss /= n
        else:
            self.count = count + 1
            if count == 0:
                return self.last
            if diff < 0:
                self.loss -= diff
            else:
                self.gain += diff
            if count < n:
                return self.last
            self.gain /= n
            self.loss /= n
        total = self.gain + self.loss
        self.last = (0.0 if is_zero(total) else 100.0 * (self.gain / total),)
        return self.last


class MacdStream(_SourceStream):
    """Stream MACD: EMA(fast) - EMA(slow) aligned as TA-Lib does, its signal EMA and histogram."""

    __slots__ = ("count", "fast_start", "fast", "slow", "signal")
    name = "macd"
    outputs = ("macd", "signal", "hist")

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.count = 0
        # TA-Lib seeds both EMAs so that their first values fall on the same candle.
        self.fast_start = params["slow"] - params["fast"]
        self.fast = Ema(params["fast"])
        self.slow = Ema(params["slow"])
        self.signal = Ema(params["signal"])

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (macd, signal, hist)."""
        x = (open, high, low, close, volume)[self.source]
        slow = self.slow.push(x)
        if self.count < self.fast_start:
            self.count += 1
            return self.last
        fast = self.fast.push(x)
        if slow != slow:  # NaN: still seeding
            return self.last
        macd = fast - slow
        signal = self.signal.push(macd)
        if signal == signal:
            self.last = (macd, signal, macd - signal)
        return self.last


class BbandsStream(_SourceStream):
    """Stream Bollinger Bands: SMA ± k·population standard deviation, computed as TA-Lib does."""

    __slots__ = ("period", "up", "down", "total", "total_squares", "window")
    name = "bbands"
    outputs = ("upper", "middle", "lower")

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.period: int = params["period"]
        self.up: float = params["nbdev_up"]
        self.down: float = params["nbdev_down"]
        self.total = 0.0
        self.total_squares = 0.0
        self.window: deque[float] = deque()

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (upper, middle, lower)."""
        x = (open, high, low, close, volume)[self.source]
        window = self.window
        window.append(x)
        self.total += x
        self.total_squares += x * x
        if len(window) < self.period:
            return self.last
        mean = self.total / self.period
        variance = self.total_squares / self.period - mean * mean
        trailing = window.popleft()
        self.total -= trailing
        self.total_squares -= trailing * trailing
        # TA-Lib 0.6 treats a variance below 1e-14 as zero (TA_IS_ZERO_OR_NEG); a coarser cut-off
        # would flatten the bands of a quiet market where TA-Lib does not.
        deviation = math.sqrt(variance) if variance >= 1e-14 else 0.0
        self.last = (mean + deviation * self.up, mean, mean - deviation * self.down)
        return self.last


class _TrueRangeAverage(Stateful):
    # ATR as TA-Lib computes it: Wilder smoothing of the true range from the second candle on.
    __slots__ = ("started", "previous_close", "average")

    def __init__(self, period: int) -> None:
        self.started = False
        self.previous_close = 0.0
        self.average = Wilder(period)

    def push(self, high: float, low: float, close: float) -> float:
        if not self.started:
            self.started = True
            self.previous_close = close
            return NAN
        tr = true_range(high, low, self.previous_close)
        self.previous_close = close
        return self.average.push(tr)


class AtrStream(IndicatorStream):
    """Stream Wilder's average true range."""

    __slots__ = ("atr",)
    name = "atr"
    outputs = ("atr",)

    def __init__(self, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.atr = _TrueRangeAverage(params["period"])

    def update(self, open: float, high: float, low: float, close: float, volume: float) -> Values:
        """Add one closed candle and return (atr,)."""
        self.last = (self.atr.push(high, low, close),)
        return self.last
