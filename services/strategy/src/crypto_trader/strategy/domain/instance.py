"""Strategy instances: what one trades, its identity, its progress and the signals it emits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from crypto_trader.common.ids import stable_id
from crypto_trader.strategy.domain.framework.base import ParameterValue
from crypto_trader.strategy.domain.schedule import EntryBudget, Schedule
from crypto_trader.strategy.domain.sma_cross import SignalAction


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """One strategy instance: strategy × account × market × parameters, with its schedule."""

    strategy: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    params: tuple[tuple[str, ParameterValue], ...] = ()
    schedule: Schedule = field(default_factory=Schedule)

    @classmethod
    def create(
        cls,
        strategy: str,
        account: str,
        exchange: str,
        symbol: str,
        timeframe: str,
        params: Mapping[str, ParameterValue] | None = None,
        schedule: Schedule | None = None,
    ) -> InstanceSpec:
        """Build a spec with the parameters in a canonical (sorted) order."""
        ordered = tuple(sorted((params or {}).items()))
        return cls(strategy, account, exchange, symbol, timeframe, ordered, schedule or Schedule())

    @property
    def instance_id(self) -> str:
        """Return the id that stays the same across restarts for the same strategy, market and
        parameters (the schedule is not part of it: changing hours keeps the instance)."""
        return stable_id(
            self.strategy,
            self.account,
            self.exchange,
            self.symbol,
            self.timeframe,
            json.dumps(dict(self.params), sort_keys=True),
        )

    @property
    def parameters(self) -> dict[str, ParameterValue]:
        """Return the strategy parameters by name."""
        return dict(self.params)

    def owned_by(self, replica_index: int, replica_count: int) -> bool:
        """Tell whether replica ``replica_index`` of ``replica_count`` runs this instance."""
        return int(self.instance_id[:8], 16) % replica_count == replica_index


@dataclass(frozen=True, slots=True)
class InstanceProgress:
    """How far an instance got: the last candle it processed, its counters and saved state."""

    instance_id: str
    last_candle_open_time_ms: int | None = None
    candles_seen: int = 0
    signals_emitted: int = 0
    budget: EntryBudget = field(default_factory=EntryBudget)
    # The strategy's event-path state after the last candle (strict JSON), None when unsaved.
    strategy_state: dict[str, Any] | None = None

    def has_processed(self, open_time_ms: int) -> bool:
        """Tell whether a candle with this open time was already processed (or is older)."""
        last = self.last_candle_open_time_ms
        return last is not None and open_time_ms <= last

    def after_candle(
        self,
        open_time_ms: int,
        *,
        emitted: bool,
        budget: EntryBudget | None = None,
        strategy_state: dict[str, Any] | None = None,
    ) -> InstanceProgress:
        """Return the progress once a candle has been processed."""
        return replace(
            self,
            last_candle_open_time_ms=open_time_ms,
            candles_seen=self.candles_seen + 1,
            signals_emitted=self.signals_emitted + int(emitted),
            budget=self.budget if budget is None else budget,
            strategy_state=strategy_state,
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
