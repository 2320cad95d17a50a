"""Moving-average crosses (SMA and EMA) on closes, built on the strategy framework.

Both paths do the same float operations in the same order, so their signals are identical: the SMA
is a difference of running sums (``np.cumsum`` adds left to right, as the event path does), and the
EMA is the same scalar recurrence in both. With numba the vectorised path runs in ``cross_kernel``
(the same operations, one pass).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework import cross_kernel
from crypto_trader.strategy.domain.framework.base import (
    BaseStrategy,
    Parameter,
    ParameterValue,
    Signal,
    SignalFrame,
)
from crypto_trader.strategy.domain.indicators.frame import (
    BoolArray,
    CandleFrame,
    FloatArray,
    PriceBar,
)

_MAX_PERIOD = 10_000
_SHORT = Parameter("short", "bool", False, description="Also trade short: reverse on each cross.")


def _periods(fast_default: int, slow_default: int) -> tuple[Parameter, ...]:
    return (
        Parameter("fast", "int", fast_default, 1, _MAX_PERIOD, "Period of the fast average."),
        Parameter("slow", "int", slow_default, 2, _MAX_PERIOD, "Period of the slow average."),
        _SHORT,
    )


class _CrossStrategy(BaseStrategy):
    # Shared cross logic: the fast average crossing above the slow one enters long (and exits a
    # short); crossing below exits long (and enters short when ``short`` is on).

    @property
    def fast(self) -> int:
        return int(self.params["fast"])

    @property
    def slow(self) -> int:
        return int(self.params["slow"])

    @property
    def short(self) -> bool:
        return bool(self.params["short"])

    @classmethod
    def check_params(cls, values: Mapping[str, ParameterValue]) -> None:
        if values["fast"] >= values["slow"]:
            raise InvalidInput(
                f"fast must be shorter than slow, got fast={values['fast']} slow={values['slow']}"
            )

    @property
    def warmup(self) -> int:
        return self.slow

    def _averages(self, close: FloatArray) -> tuple[FloatArray, FloatArray]:
        raise NotImplementedError

    def _crosses(self, close: FloatArray) -> tuple[BoolArray, BoolArray]:
        # Averages exist from candle slow - 1; a cross needs the candle before it too.
        fast, slow = self._averages(close)
        if cross_kernel.AVAILABLE:
            up, down = cross_kernel.crosses(fast, slow, self.slow)
            return up, down
        up = np.zeros(len(close), dtype=np.bool_)
        down = np.zeros(len(close), dtype=np.bool_)
        relation = (fast > slow).astype(np.int8) - (fast < slow).astype(np.int8)
        previous, current = relation[self.slow - 1 : -1], relation[self.slow :]
        up[self.slow :] = (previous <= 0) & (current > 0)
        down[self.slow :] = (previous >= 0) & (current < 0)
        return up, down

    def generate(self, frame: CandleFrame) -> SignalFrame:
        count = len(frame)
        if count > self.slow:
            up, down = self._crosses(np.ascontiguousarray(frame.close, dtype=np.float64))
        else:
            up = np.zeros(count, dtype=np.bool_)
            down = np.zeros(count, dtype=np.bool_)
        # Signal arrays are only read: one array may serve two kinds.
        if self.short:
            return SignalFrame(up, down, down, up)
        none: BoolArray = np.zeros(count, dtype=np.bool_)
        return SignalFrame(up, down, none, none)

    def reset(self) -> None:
        self._seen = 0
        self._previous: int | None = None
        # The parameters never change after construction: read them once, not per candle.
        self._fast_period, self._slow_period = self.fast, self.slow
        self._short_too = self.short

    def _step(self, close: float) -> tuple[float, float]:
        raise NotImplementedError

    def on_candle(self, bar: PriceBar) -> Signal | None:
        fast, slow = self._step(bar.close)
        self._seen += 1
        if self._seen < self._slow_period:
            return None
        current = (fast > slow) - (fast < slow)
        previous, self._previous = self._previous, current
        if previous is None:
            return None
        if previous <= 0 < current:
            return Signal(enter_long=True, exit_short=self._short_too)
        if previous >= 0 > current:
            return Signal(exit_long=True, enter_short=self._short_too)
        return None

    def state(self) -> dict[str, Any] | None:
        return {"seen": self._seen, "previous": self._previous}

    def load_state(self, state: Mapping[str, Any]) -> None:
        try:
            self._seen = int(state["seen"])
            previous = state["previous"]
            self._previous = None if previous is None else int(previous)
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(f"not a saved state of {self.name}: {dict(state)}") from None


class SmaCross(_CrossStrategy):
    """Simple moving average cross on closes."""

    name: ClassVar[str] = "sma_cross"
    description: ClassVar[str] = (
        "Simple moving average cross on closes: long when the fast SMA crosses above the slow "
        "one, out (or short) when it crosses below."
    )
    parameters: ClassVar[tuple[Parameter, ...]] = _periods(20, 50)

    def _crosses(self, close: FloatArray) -> tuple[BoolArray, BoolArray]:
        if cross_kernel.AVAILABLE:  # one pass: no average arrays at all
            up, down = cross_kernel.sma_crosses(close, self.fast, self.slow)
            return up, down
        return super()._crosses(close)

    def _averages(self, close: FloatArray) -> tuple[FloatArray, FloatArray]:
        running = np.concatenate(([0.0], np.cumsum(close)))
        return self._sma(running, self.fast), self._sma(running, self.slow)

    @staticmethod
    def _sma(running: FloatArray, period: int) -> FloatArray:
        averages = np.full(len(running) - 1, np.nan)
        averages[period - 1 :] = (running[period:] - running[:-period]) / period
        return averages

    def reset(self) -> None:
        super().reset()
        self._total = 0.0
        self._running: deque[float] = deque([0.0], maxlen=self.slow + 1)

    def state(self) -> dict[str, Any] | None:
        base = super().state() or {}
        return {**base, "total": self._total, "running": list(self._running)}

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        try:
            self._total = float(state["total"])
            self._running = deque(map(float, state["running"]), maxlen=self.slow + 1)
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(f"not a saved state of {self.name}: {dict(state)}") from None

    def _step(self, close: float) -> tuple[float, float]:
        total = self._total = self._total + close
        running = self._running
        running.append(total)
        slow = self._slow_period
        if len(running) <= slow:
            return math.nan, math.nan
        fast = self._fast_period
        return (total - running[-1 - fast]) / fast, (total - running[0]) / slow


class EmaCross(_CrossStrategy):
    """Exponential moving average cross on closes (seeded with the first close)."""

    name: ClassVar[str] = "ema_cross"
    description: ClassVar[str] = (
        "Exponential moving average cross on closes (alpha = 2 / (period + 1), seeded with the "
        "first close): long when the fast EMA crosses above the slow one, out (or short) below."
    )
    parameters: ClassVar[tuple[Parameter, ...]] = _periods(12, 26)

    def _averages(self, close: FloatArray) -> tuple[FloatArray, FloatArray]:
        return self._ema(close, self.fast), self._ema(close, self.slow)

    @staticmethod
    def _ema(close: FloatArray, period: int) -> FloatArray:
        if cross_kernel.AVAILABLE:
            compiled: FloatArray = cross_kernel.ema(close, period)
            return compiled
        # A recurrence: no exact numpy form, so one loop over Python floats (about 50 ns a candle).
        alpha = 2.0 / (period + 1)
        beta = 1.0 - alpha
        values = close.tolist()
        average = values[0]
        out = [average]
        for value in values[1:]:
            average = alpha * value + beta * average
            out.append(average)
        return np.asarray(out, dtype=np.float64)

    def reset(self) -> None:
        super().reset()
        self._fast_ema: float | None = None
        self._slow_ema: float | None = None

    def state(self) -> dict[str, Any] | None:
        base = super().state() or {}
        return {**base, "fast_ema": self._fast_ema, "slow_ema": self._slow_ema}

    def load_state(self, state: Mapping[str, Any]) -> None:
        super().load_state(state)
        try:
            fast, slow = state["fast_ema"], state["slow_ema"]
        except KeyError:
            raise InvalidInput(f"not a saved state of {self.name}: {dict(state)}") from None
        self._fast_ema = None if fast is None else float(fast)
        self._slow_ema = None if slow is None else float(slow)

    def _step(self, close: float) -> tuple[float, float]:
        self._fast_ema = self._next(self._fast_ema, close, self.fast)
        self._slow_ema = self._next(self._slow_ema, close, self.slow)
        return self._fast_ema, self._slow_ema

    @staticmethod
    def _next(average: float | None, close: float, period: int) -> float:
        if average is None:
            return close
        alpha = 2.0 / (period + 1)
        return alpha * close + (1.0 - alpha) * average
