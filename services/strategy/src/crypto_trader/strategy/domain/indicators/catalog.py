"""The indicator registry: typed parameter specs, batch computation, stream construction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.indicators import batch
from crypto_trader.strategy.domain.indicators import stream as s
from crypto_trader.strategy.domain.indicators import stream_ohlcv as so
from crypto_trader.strategy.domain.indicators.frame import FIELDS, CandleFrame, FloatArray


@dataclass(frozen=True, slots=True)
class Param:
    """Describe one parameter: name, type (int, float or str), default and allowed range."""

    name: str
    kind: type
    default: int | float | str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, value: Any) -> int | float | str:
        """Return the value converted to the parameter's type, or raise InvalidInput."""
        if self.kind is str:
            if value not in self.choices:
                raise InvalidInput(f"{self.name} must be one of {self.choices}, got {value!r}")
            return str(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{self.name} must be a number, got {value!r}")
        if self.kind is int and value != int(value):
            raise InvalidInput(f"{self.name} must be an integer, got {value!r}")
        number: int | float = int(value) if self.kind is int else float(value)
        if self.minimum is not None and number < self.minimum:
            raise InvalidInput(f"{self.name} must be >= {self.minimum}, got {value!r}")
        if self.maximum is not None and number > self.maximum:
            raise InvalidInput(f"{self.name} must be <= {self.maximum}, got {value!r}")
        return number


def _period(default: int, name: str = "period", minimum: int = 2) -> Param:
    return Param(name, int, default, minimum, 100_000)


def _nbdev(name: str, default: float) -> Param:
    return Param(name, float, default, 0.0, 1_000.0)


SOURCE = Param("source", str, "close", choices=FIELDS)


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """Describe one indicator: its parameters, outputs, warm-up, batch function and stream."""

    name: str
    summary: str
    params: tuple[Param, ...]
    outputs: tuple[str, ...]
    batch: Callable[[CandleFrame, dict[str, Any]], tuple[FloatArray, ...]]
    stream_class: type[s.IndicatorStream]
    lookback: Callable[[dict[str, Any]], int]

    def resolve(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return all parameters with defaults filled in and values checked (InvalidInput)."""
        known = {param.name for param in self.params}
        unknown = set(params) - known
        if unknown:
            raise InvalidInput(f"{self.name} has no parameter(s) {sorted(unknown)}")
        out: dict[str, Any] = {p.name: p.check(params.get(p.name, p.default)) for p in self.params}
        if self.name == "macd" and out["fast"] >= out["slow"]:
            raise InvalidInput("macd needs fast < slow")
        if self.name == "vwap" and out["period"] == 1:
            raise InvalidInput("vwap period must be 0 (cumulative) or at least 2 (rolling)")
        return out

    def warmup(self, **params: Any) -> int:
        """Return the index of the first candle whose outputs are all defined."""
        return self.lookback(self.resolve(params))

    def compute(self, frame: CandleFrame, **params: Any) -> dict[str, FloatArray]:
        """Compute every output over the whole frame, keyed by output name."""
        return dict(zip(self.outputs, self.batch(frame, self.resolve(params)), strict=True))

    def stream(self, **params: Any) -> s.IndicatorStream:
        """Open a stream at the first candle (feed it history to warm it up)."""
        return self.stream_class(self.resolve(params))


def _spec(
    name: str,
    summary: str,
    params: tuple[Param, ...],
    batch_function: Callable[[CandleFrame, dict[str, Any]], tuple[FloatArray, ...]],
    stream_class: type[s.IndicatorStream],
    lookback: Callable[[dict[str, Any]], int],
) -> IndicatorSpec:
    return IndicatorSpec(
        name, summary, params, stream_class.outputs, batch_function, stream_class, lookback
    )


_SPECS = (
    _spec("sma", "Simple moving average", (_period(30), SOURCE), batch.sma, s.SmaStream,
          lambda p: p["period"] - 1),
    _spec("ema", "Exponential moving average, SMA-seeded", (_period(30), SOURCE), batch.ema,
          s.EmaStream, lambda p: p["period"] - 1),
    _spec("wma", "Linearly weighted moving average", (_period(30), SOURCE), batch.wma,
          s.WmaStream, lambda p: p["period"] - 1),
    _spec("rsi", "Wilder's relative strength index", (_period(14), SOURCE), batch.rsi,
          s.RsiStream, lambda p: p["period"]),
    _spec("macd", "MACD line, signal line and histogram",
          (_period(12, "fast"), _period(26, "slow"), _period(9, "signal", 1), SOURCE),
          batch.macd, s.MacdStream, lambda p: p["slow"] + p["signal"] - 2),
    _spec("bbands", "Bollinger Bands around an SMA",
          (_period(20), _nbdev("nbdev_up", 2.0), _nbdev("nbdev_down", 2.0), SOURCE),
          batch.bbands, s.BbandsStream, lambda p: p["period"] - 1),
    _spec("atr", "Wilder's average true range", (_period(14),), batch.atr, s.AtrStream,
          lambda p: p["period"]),
    _spec("adx", "Average directional index", (_period(14),), batch.adx, so.AdxStream,
          lambda p: 2 * p["period"] - 1),
    _spec("stoch", "Slow stochastic %K/%D (SMA smoothing)",
          (_period(5, "fastk_period", 1), _period(3, "slowk_period", 1),
           _period(3, "slowd_period", 1)),
          batch.stoch, so.StochStream,
          lambda p: p["fastk_period"] + p["slowk_period"] + p["slowd_period"] - 3),
    _spec("obv", "On-balance volume", (), batch.obv, so.ObvStream, lambda _: 0),
    _spec("vwap", "Volume-weighted typical price: cumulative (period 0) or rolling",
          (_period(0, minimum=0),), batch.vwap, so.VwapStream,
          lambda p: max(p["period"] - 1, 0)),
    _spec("donchian", "Donchian channels", (_period(20),), batch.donchian, so.DonchianStream,
          lambda p: p["period"] - 1),
    _spec("keltner", "Keltner channels: EMA(typical) ± k·ATR",
          (_period(20), _period(10, "atr_period", 1), _nbdev("multiplier", 2.0)),
          batch.keltner, so.KeltnerStream, lambda p: max(p["period"] - 1, p["atr_period"])),
    _spec("ichimoku", "Ichimoku tenkan, kijun and leading spans",
          (_period(9, "tenkan"), _period(26, "kijun"), _period(52, "senkou"),
           _period(26, "displacement", 0)),
          batch.ichimoku, so.IchimokuStream,
          lambda p: max(p["tenkan"], p["kijun"], p["senkou"]) - 1 + p["displacement"]),
)  # fmt: skip

INDICATORS: Mapping[str, IndicatorSpec] = MappingProxyType({spec.name: spec for spec in _SPECS})


def indicator(name: str) -> IndicatorSpec:
    """Return the spec registered under ``name`` or raise InvalidInput."""
    try:
        return INDICATORS[name]
    except KeyError:
        raise InvalidInput(f"unknown indicator {name!r}; known: {sorted(INDICATORS)}") from None


def compute(name: str, frame: CandleFrame, **params: Any) -> dict[str, FloatArray]:
    """Compute indicator ``name`` over a whole frame; outputs keyed by name, NaN in warm-up."""
    return indicator(name).compute(frame, **params)


def open_stream(name: str, **params: Any) -> s.IndicatorStream:
    """Open a streaming form of indicator ``name`` at the first candle."""
    return indicator(name).stream(**params)


def restore_stream(snapshot: Mapping[str, Any]) -> s.IndicatorStream:
    """Rebuild a stream from ``IndicatorStream.snapshot()``; it continues where that one stopped."""
    try:
        spec = indicator(snapshot["indicator"])
        restored = spec.stream(**snapshot["params"])
        restored.load(snapshot["state"])
    except (KeyError, TypeError, AttributeError) as error:
        raise InvalidInput(f"not an indicator snapshot: {error}") from error
    restored.last = tuple(restored.last)
    return restored
