"""Built-in indicator strategies: one rule over TA-Lib batch values and over indicator streams.

Each strategy names its indicators and writes its entry/exit rule once, over "now" and "before"
(the previous candle) values keyed ``close``, ``high``, ``low``, ``open`` and ``<key>.<output>``.
The vectorised path evaluates the rule on whole arrays from ``indicators.compute``; the event path
evaluates it on the floats of ``indicators.open_stream`` streams. The streams equal the batch
values to rounding (1e-9), so both paths agree except on a near-exact tie with a threshold.

Entries carry exit hints from the ``stop_loss``, ``take_profit`` and ``trailing_stop`` parameters
(fractions of the entry candle's close, 0 = none): stop at ``close * (1 - stop_loss)``, target at
``close * (1 + take_profit)``, trailing stop fraction as given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework.base import (
    BaseStrategy,
    Parameter,
    ParameterValue,
    Signal,
    SignalFrame,
)
from crypto_trader.strategy.domain.indicators import (
    IndicatorStream,
    compute,
    indicator,
    open_stream,
    restore_stream,
)
from crypto_trader.strategy.domain.indicators.frame import (
    BoolArray,
    CandleFrame,
    FloatArray,
    PriceBar,
)

_NAN = float("nan")
_MAX_PERIOD = 5_000
Values = Mapping[str, Any]  # float arrays (vectorised) or floats (event path)

EXIT_HINTS: tuple[Parameter, ...] = (
    Parameter("stop_loss", "float", 0.0, 0.0, 0.99, "Stop this fraction below entry (0 = none)."),
    Parameter("take_profit", "float", 0.0, 0.0, 100.0, "Target this fraction above (0 = none)."),
    Parameter("trailing_stop", "float", 0.0, 0.0, 0.99, "Trailing stop fraction (0 = none)."),
)


def _period(name: str, default: int, description: str, minimum: int = 2) -> Parameter:
    return Parameter(name, "int", default, minimum, _MAX_PERIOD, description)


def _shift(values: FloatArray) -> FloatArray:
    shifted = np.empty_like(values)
    shifted[:1] = _NAN
    shifted[1:] = values[:-1]
    return shifted


def _crossed_above(now_a: Any, now_b: Any, before_a: Any, before_b: Any) -> Any:
    return (before_a <= before_b) & (now_a > now_b)


def _crossed_below(now_a: Any, now_b: Any, before_a: Any, before_b: Any) -> Any:
    return (before_a >= before_b) & (now_a < now_b)


class IndicatorStrategy(BaseStrategy):
    """A long-only strategy whose rule reads indicator values now and one candle before."""

    def indicators(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Return ``key -> (indicator name, parameters)`` of the indicators the rule reads."""
        return {}

    def rule(self, now: Values, before: Values) -> tuple[Any, Any]:
        """Return ``(enter_long, exit_long)`` from the values now and one candle before."""
        raise NotImplementedError

    @property
    def warmup(self) -> int:
        lookbacks = [indicator(n).warmup(**p) for n, p in self.indicators().values()]
        # One more candle: a rule compares with the candle before.
        return max(lookbacks, default=0) + 1

    def generate(self, frame: CandleFrame) -> SignalFrame:
        count = len(frame)
        if count == 0:
            empty: BoolArray = np.zeros(0, dtype=np.bool_)
            return SignalFrame(empty, empty, empty, empty)
        now: dict[str, Any] = {
            "open": frame.open,
            "high": frame.high,
            "low": frame.low,
            "close": frame.close,
        }
        for key, (name, params) in self.indicators().items():
            for output, values in compute(name, frame, **params).items():
                now[f"{key}.{output}"] = values
        before = {key: _shift(np.asarray(values, dtype=np.float64)) for key, values in now.items()}
        enter, leave = self.rule(now, before)
        ready = np.arange(count) >= self.warmup
        enter_long: BoolArray = np.asarray(enter, dtype=np.bool_) & ready
        exit_long: BoolArray = np.asarray(leave, dtype=np.bool_) & ready & ~enter_long
        none: BoolArray = np.zeros(count, dtype=np.bool_)
        stop, target, trail = self._hints(frame.close)
        return SignalFrame(
            enter_long,
            exit_long,
            none,
            none.copy(),
            np.where(enter_long, stop, _NAN),
            np.where(enter_long, target, _NAN),
            np.where(enter_long, trail, _NAN),
        )

    def _hints(self, close: Any) -> tuple[Any, Any, Any]:
        stop_loss = float(self.params.get("stop_loss", 0.0))
        take_profit = float(self.params.get("take_profit", 0.0))
        trailing = float(self.params.get("trailing_stop", 0.0))
        return (
            close * (1.0 - stop_loss) if stop_loss > 0 else close * _NAN,
            close * (1.0 + take_profit) if take_profit > 0 else close * _NAN,
            close * 0.0 + trailing if trailing > 0 else close * _NAN,
        )

    def reset(self) -> None:
        self._streams: dict[str, IndicatorStream] = {
            key: open_stream(name, **params) for key, (name, params) in self.indicators().items()
        }
        self._before: dict[str, float] | None = None
        self._seen = 0

    def on_candle(self, bar: PriceBar) -> Signal | None:
        now = {"open": bar.open, "high": bar.high, "low": bar.low, "close": bar.close}
        for key, stream in self._streams.items():
            values = stream.update(bar.open, bar.high, bar.low, bar.close, bar.volume)
            for output, value in zip(stream.outputs, values, strict=True):
                now[f"{key}.{output}"] = value
        before = self._before or dict.fromkeys(now, _NAN)
        self._before = now
        index, self._seen = self._seen, self._seen + 1
        if index < self.warmup:
            return None
        enter, leave = self.rule(now, before)
        if enter:
            stop, target, trail = self._hints(bar.close)
            return Signal(
                enter_long=True,
                stop_loss=None if math.isnan(stop) else stop,
                take_profit=None if math.isnan(target) else target,
                trailing_stop=None if math.isnan(trail) else trail,
            )
        return Signal(exit_long=True) if leave else None

    def state(self) -> dict[str, Any]:
        """Return the event path's state as strict JSON (stream snapshots, previous values)."""
        before = None
        if self._before is not None:
            before = {k: None if math.isnan(v) else v for k, v in self._before.items()}
        return {
            "streams": {key: stream.snapshot() for key, stream in self._streams.items()},
            "before": before,
            "seen": self._seen,
        }

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Continue the event path from ``state()``.

        Raises
        ------
        InvalidInput
            When the state does not belong to this strategy's indicators.
        """
        streams = state.get("streams", {})
        if set(streams) != set(self._streams):
            raise InvalidInput(f"state of other indicators: {sorted(streams)}")
        self._streams = {key: restore_stream(snapshot) for key, snapshot in streams.items()}
        before = state.get("before")
        self._before = (
            None if before is None else {k: _NAN if v is None else v for k, v in before.items()}
        )
        self._seen = int(state.get("seen", 0))


class RsiMeanReversion(IndicatorStrategy):
    """Buy when RSI falls into oversold, sell when it rises into overbought."""

    name: ClassVar[str] = "rsi_mean_reversion"
    description: ClassVar[str] = (
        "RSI mean reversion: long when RSI crosses below `lower`, out when it crosses above "
        "`upper`."
    )
    parameters: ClassVar[tuple[Parameter, ...]] = (
        _period("period", 14, "RSI period."),
        Parameter("lower", "float", 30.0, 1.0, 99.0, "Oversold level."),
        Parameter("upper", "float", 70.0, 1.0, 99.0, "Overbought level."),
        *EXIT_HINTS,
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParameterValue]) -> None:
        if values["lower"] >= values["upper"]:
            raise InvalidInput("lower must be below upper")

    def indicators(self) -> dict[str, tuple[str, dict[str, Any]]]:
        return {"rsi": ("rsi", {"period": int(self.params["period"])})}

    def rule(self, now: Values, before: Values) -> tuple[Any, Any]:
        lower, upper = float(self.params["lower"]), float(self.params["upper"])
        enter = (before["rsi.rsi"] >= lower) & (now["rsi.rsi"] < lower)
        leave = (before["rsi.rsi"] <= upper) & (now["rsi.rsi"] > upper)
        return enter, leave


class MacdTrend(IndicatorStrategy):
    """Follow MACD: long when the MACD line crosses above its signal line."""

    name: ClassVar[str] = "macd_trend"
    description: ClassVar[str] = (
        "MACD trend: long when the MACD line crosses above the signal line, out when it crosses "
        "below."
    )
    parameters: ClassVar[tuple[Parameter, ...]] = (
        _period("fast", 12, "Fast EMA period."),
        _period("slow", 26, "Slow EMA period."),
        _period("signal", 9, "Signal line period.", minimum=1),
        *EXIT_HINTS,
    )

    @classmethod
    def check_params(cls, values: Mapping[str, ParameterValue]) -> None:
        if values["fast"] >= values["slow"]:
            raise InvalidInput("fast must be shorter than slow")

    def indicators(self) -> dict[str, tuple[str, dict[str, Any]]]:
        params = {k: int(self.params[k]) for k in ("fast", "slow", "signal")}
        return {"macd": ("macd", params)}

    def rule(self, now: Values, before: Values) -> tuple[Any, Any]:
        args = (now["macd.macd"], now["macd.signal"], before["macd.macd"], before["macd.signal"])
        return _crossed_above(*args), _crossed_below(*args)


def _bands(params: Mapping[str, ParameterValue]) -> dict[str, tuple[str, dict[str, Any]]]:
    width = float(params["width"])
    spec = {"period": int(params["period"]), "nbdev_up": width, "nbdev_down": width}
    return {"bb": ("bbands", spec)}


_BAND_PARAMETERS = (
    _period("period", 20, "Bollinger SMA period."),
    Parameter("width", "float", 2.0, 0.1, 10.0, "Band width in standard deviations."),
    *EXIT_HINTS,
)


class BollingerMeanReversion(IndicatorStrategy):
    """Buy a close below the lower band, sell when the close gets back above the middle."""

    name: ClassVar[str] = "bollinger_reversion"
    description: ClassVar[str] = (
        "Bollinger mean reversion: long when the close crosses below the lower band, out when it "
        "crosses above the middle band."
    )
    parameters: ClassVar[tuple[Parameter, ...]] = _BAND_PARAMETERS

    def indicators(self) -> dict[str, tuple[str, dict[str, Any]]]:
        return _bands(self.params)

    def rule(self, now: Values, before: Values) -> tuple[Any, Any]:
        enter = _crossed_below(now["close"], now["bb.lower"], before["close"], before["bb.lower"])
        leave = _crossed_above(now["close"], now["bb.middle"], before["close"], before["bb.middle"])
        return enter, leave


class BollingerBreakout(IndicatorStrategy):
    """Buy a close above the upper band, sell when the close falls below the middle."""

    name: ClassVar[str] = "bollinger_breakout"
    description: ClassVar[str] = (
        "Bollinger breakout: long when the close crosses above the upper band, out when it "
        "crosses below the middle band."
    )
    parameters: ClassVar[tuple[Parameter, ...]] = _BAND_PARAMETERS

    def indicators(self) -> dict[str, tuple[str, dict[str, Any]]]:
        return _bands(self.params)

    def rule(self, now: Values, before: Values) -> tuple[Any, Any]:
        enter = _crossed_above(now["close"], now["bb.upper"], before["close"], before["bb.upper"])
        leave = _crossed_below(now["close"], now["bb.middle"], before["close"], before["bb.middle"])
        return enter, leave


class DonchianBreakout(IndicatorStrategy):
    """Turtle-style breakout: buy a new N-candle high, sell a new M-candle low."""

    name: ClassVar[str] = "donchian_breakout"
    description: ClassVar[str] = (
        "Donchian breakout: long when the close rises above the highest high of the previous "
        "`entry_period` candles, out when it falls below the lowest low of the previous "
        "`exit_period` candles."
    )
    parameters: ClassVar[tuple[Parameter, ...]] = (
        _period("entry_period", 20, "Candles whose highest high the close must beat."),
        _period("exit_period", 10, "Candles whose lowest low ends the trade."),
        *EXIT_HINTS,
    )

    def indicators(self) -> dict[str, tuple[str, dict[str, Any]]]:
        return {
            "entry": ("donchian", {"period": int(self.params["entry_period"])}),
            "exit": ("donchian", {"period": int(self.params["exit_period"])}),
        }

    def rule(self, now: Values, before: Values) -> tuple[Any, Any]:
        # The channel of the candles before this one: a close cannot break its own high.
        return now["close"] > before["entry.upper"], now["close"] < before["exit.lower"]


class BuyAndHold(IndicatorStrategy):
    """The benchmark: buy on the first candle and never sell."""

    name: ClassVar[str] = "buy_and_hold"
    description: ClassVar[str] = "Buy and hold (the benchmark): long on the first candle, never out"
    parameters: ClassVar[tuple[Parameter, ...]] = EXIT_HINTS

    @property
    def warmup(self) -> int:
        return 0

    def rule(self, now: Values, before: Values) -> tuple[Any, Any]:
        # "before" is NaN only at the first candle: that is the one entry.
        first = before["close"] != before["close"]
        return first, now["close"] != now["close"]


INDICATOR_STRATEGIES: tuple[type[IndicatorStrategy], ...] = (
    RsiMeanReversion,
    MacdTrend,
    BollingerMeanReversion,
    BollingerBreakout,
    DonchianBreakout,
    BuyAndHold,
)
