"""The strategy contract: typed parameters, vectorised and event paths with identical signals."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.indicators.frame import (
    BoolArray,
    CandleFrame,
    FloatArray,
    IntArray,
    PriceBar,
)

ParameterValue = int | float | bool
_TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True, slots=True)
class Parameter:
    """One typed strategy parameter: the schema a web form renders and the parser validates."""

    name: str
    type: str
    default: ParameterValue
    minimum: ParameterValue | None = None
    maximum: ParameterValue | None = None
    description: str = ""

    def parse(self, raw: object) -> ParameterValue:
        """Convert a raw value (a string from a form or the command line, or a number).

        Raises
        ------
        InvalidInput
            When the value has the wrong type or lies outside ``[minimum, maximum]``.
        """
        value = self._convert(raw)
        if self.minimum is not None and value < self.minimum:
            raise InvalidInput(f"parameter {self.name} must be >= {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise InvalidInput(f"parameter {self.name} must be <= {self.maximum}, got {value}")
        return value

    def _convert(self, raw: object) -> ParameterValue:
        text = raw.strip().lower() if isinstance(raw, str) else None
        problem = f"parameter {self.name} must be {self.type}, got {raw!r}"
        if self.type == "bool":
            if isinstance(raw, bool):
                return raw
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise InvalidInput(problem)
        if isinstance(raw, bool):
            raise InvalidInput(problem)
        try:
            if self.type == "int":
                if isinstance(raw, float) and not raw.is_integer():
                    raise ValueError(raw)
                if not isinstance(raw, int | float | str):
                    raise TypeError(raw)
                return int(raw)
            value = float(raw) if isinstance(raw, int | float | str) else float("nan")
        except (TypeError, ValueError):
            raise InvalidInput(problem) from None
        if not np.isfinite(value):
            raise InvalidInput(problem)
        return value

    def schema(self) -> dict[str, object]:
        """Return the parameter as a JSON-ready dict."""
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "min": self.minimum,
            "max": self.maximum,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class Signal:
    """What a strategy asks for after one closed candle.

    An entry may carry exit hints (None when not set): ``stop_loss`` (a price: exit when the price
    falls to it), ``take_profit`` (a price: exit when the price reaches it) and ``trailing_stop``
    (a fraction: exit when the price falls that far below its high since entry); a short's hints
    mirror a long's. ``signal_action.signal_actions`` says what a signal is traded as.
    """

    enter_long: bool = False
    exit_long: bool = False
    enter_short: bool = False
    exit_short: bool = False
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None


@dataclass(frozen=True, slots=True)
class SignalFrame:
    """One boolean array per signal kind, aligned with the candles of a frame.

    The optional hint arrays (NaN where unset) carry the exit hints of ``Signal`` for entries.
    """

    enter_long: BoolArray
    exit_long: BoolArray
    enter_short: BoolArray
    exit_short: BoolArray
    stop_loss: FloatArray | None = None
    take_profit: FloatArray | None = None
    trailing_stop: FloatArray | None = None

    def at(self, index: int) -> Signal | None:
        """Return the signal of candle ``index``, or None when it asks for nothing."""
        signal = Signal(
            bool(self.enter_long[index]),
            bool(self.exit_long[index]),
            bool(self.enter_short[index]),
            bool(self.exit_short[index]),
        )
        if signal == Signal():
            return None
        if signal.enter_long or signal.enter_short:
            signal = Signal(
                signal.enter_long,
                signal.exit_long,
                signal.enter_short,
                signal.exit_short,
                _hint(self.stop_loss, index),
                _hint(self.take_profit, index),
                _hint(self.trailing_stop, index),
            )
        return signal

    def active(self) -> IntArray:
        """Return the indices of candles with any signal."""
        any_signal = self.enter_long | self.exit_long | self.enter_short | self.exit_short
        return np.flatnonzero(any_signal).astype(np.int64)


class BaseStrategy(abc.ABC):
    """A strategy with typed parameters, a warm-up, a vectorised path and an event path.

    ``generate(frame)`` and feeding ``frame.bar(i)`` to ``on_candle`` for every ``i`` give the same
    signals; subclasses guarantee it by doing the same float operations in the same order.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]]
    # Higher timeframes (ccxt codes) the strategy reads besides its own; ``framework.timeframes``
    # resamples and aligns them so a higher candle is seen only once it has closed.
    informative_timeframes: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Mapping[str, object] | None = None) -> None:
        self.params = self.parse_params(params or {})
        self.reset()

    @classmethod
    def parse_params(cls, raw: Mapping[str, object]) -> dict[str, ParameterValue]:
        """Validate raw values against the schema and fill in defaults.

        Raises
        ------
        InvalidInput
            When a name is unknown or a value is invalid.
        """
        known = {parameter.name: parameter for parameter in cls.parameters}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise InvalidInput(
                f"unknown parameter {unknown[0]!r} for strategy {cls.name}; "
                f"known: {', '.join(known)}"
            )
        values = {name: spec.default for name, spec in known.items()}
        values.update({name: known[name].parse(value) for name, value in raw.items()})
        cls.check_params(values)
        return values

    @classmethod  # noqa: B027 - an optional hook, not abstract
    def check_params(cls, values: Mapping[str, ParameterValue]) -> None:
        """Check rules that involve several parameters (none by default)."""

    @classmethod
    def schema(cls) -> dict[str, object]:
        """Return the strategy's description and parameter schema, JSON-ready."""
        return {
            "name": cls.name,
            "description": cls.description,
            "parameters": [parameter.schema() for parameter in cls.parameters],
        }

    @property
    @abc.abstractmethod
    def warmup(self) -> int:
        """Return how many candles come before the first one that can carry a signal."""

    @abc.abstractmethod
    def generate(self, frame: CandleFrame) -> SignalFrame:
        """Compute the signals of every candle at once (does not touch the event state)."""

    @abc.abstractmethod
    def reset(self) -> None:
        """Forget every candle the event path has seen."""

    @abc.abstractmethod
    def on_candle(self, bar: PriceBar) -> Signal | None:
        """Add the next closed candle and return the signal it triggers, if any."""

    def state(self) -> dict[str, Any] | None:
        """Return the event path's state as strict JSON, or None when it cannot be saved."""
        return None

    def load_state(self, state: Mapping[str, Any]) -> None:  # noqa: ARG002 - overridden
        """Continue the event path from ``state()``.

        Raises
        ------
        InvalidInput
            When the strategy cannot restore a state (or not this one).
        """
        raise InvalidInput(f"strategy {self.name} cannot restore a saved state")


def _hint(values: FloatArray | None, index: int) -> float | None:
    if values is None or np.isnan(values[index]):
        return None
    return float(values[index])
