"""Strategy instances: what one trades, its identity, its progress and the signals it emits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from crypto_trader.common.ids import stable_id
from crypto_trader.strategy.domain.sma_cross import SignalAction, validate_periods


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """One SMA-cross strategy instance: account, market and parameters."""

    strategy: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    fast: int
    slow: int

    def __post_init__(self) -> None:
        validate_periods(self.fast, self.slow)

    @property
    def instance_id(self) -> str:
        """Return the id that stays the same across restarts for the same configuration."""
        return stable_id(
            self.strategy,
            self.account,
            self.exchange,
            self.symbol,
            self.timeframe,
            self.fast,
            self.slow,
        )

    @property
    def parameters(self) -> dict[str, str]:
        """Return the strategy parameters by name, as strings."""
        return {"fast": str(self.fast), "slow": str(self.slow)}


@dataclass(frozen=True, slots=True)
class InstanceProgress:
    """How far an instance got: the last candle it processed and what it did so far."""

    instance_id: str
    last_candle_open_time_ms: int | None = None
    candles_seen: int = 0
    signals_emitted: int = 0

    def has_processed(self, open_time_ms: int) -> bool:
        """Tell whether a candle with this open time was already processed (or is older)."""
        last = self.last_candle_open_time_ms
        return last is not None and open_time_ms <= last

    def after_candle(self, open_time_ms: int, *, emitted: bool) -> InstanceProgress:
        """Return the progress once a candle has been processed."""
        return replace(
            self,
            last_candle_open_time_ms=open_time_ms,
            candles_seen=self.candles_seen + 1,
            signals_emitted=self.signals_emitted + int(emitted),
        )


@dataclass(frozen=True, slots=True)
class InstanceStatus:
    """An instance's configuration together with its progress."""

    spec: InstanceSpec
    progress: InstanceProgress


@dataclass(frozen=True, slots=True)
class Signal:
    """A decision of a strategy instance on one closed candle."""

    signal_id: str
    instance_id: str
    strategy: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    action: SignalAction
    reference_price: Decimal
    candle_open_time_ms: int
    ts_event: int
    ts_init: int


def signal_id(instance_id: str, candle_open_time_ms: int, action: SignalAction) -> str:
    """Return the id of a signal: the same instance, candle and action always give the same id."""
    return stable_id("signal", instance_id, candle_open_time_ms, action.value)
