"""Strategy instances: what one trades, its identity, its progress and the signals it emits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Side
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints, hints_from_strategy
from crypto_trader.strategy.domain.framework.base import ParameterValue
from crypto_trader.strategy.domain.framework.base import Signal as StrategySignal
from crypto_trader.strategy.domain.framework.signal_action import SignalAction, signal_actions
from crypto_trader.strategy.domain.schedule import EntryBudget, Schedule


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
        emitted: int,
        budget: EntryBudget | None = None,
        strategy_state: dict[str, Any] | None = None,
    ) -> InstanceProgress:
        """Return the progress once a candle has been processed that emitted ``emitted`` signals."""
        return replace(
            self,
            last_candle_open_time_ms=open_time_ms,
            candles_seen=self.candles_seen + 1,
            signals_emitted=self.signals_emitted + emitted,
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
    """One action of a strategy instance on one closed candle, with an entry's exit hints."""

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
    hints: ExitHints = NO_HINTS


def signal_id(instance_id: str, candle_open_time_ms: int, action: SignalAction) -> str:
    """Return the id of a signal: the same instance, candle and action always give the same id
    (so the exit and the entry of a reversal have different ids)."""
    return stable_id("signal", instance_id, candle_open_time_ms, action.value)


def entry_hints(
    decided: StrategySignal, action: SignalAction, reference_price: Decimal
) -> ExitHints:
    """Return the wire exit hints of an action: an entry keeps the strategy's prices and has its
    trailing fraction priced from ``reference_price`` (``common.protective_exit``); an exit has
    none.

    Raises
    ------
    InvalidInput
        When the strategy gave a hint that is not a positive number (or a trail of 1 or more).
    """
    if not action.enters:
        return NO_HINTS
    return hints_from_strategy(
        Side.BUY if action.long else Side.SELL,
        reference_price,
        stop_loss=decided.stop_loss,
        take_profit=decided.take_profit,
        trailing_fraction=decided.trailing_stop,
    )


def planned_actions(
    decided: StrategySignal | None, reference_price: Decimal
) -> tuple[tuple[SignalAction, ExitHints], ...]:
    """Return what a strategy's signal asks for, exits first, each with its wire exit hints."""
    if decided is None:
        return ()
    return tuple(
        (action, entry_hints(decided, action, reference_price))
        for action in signal_actions(decided)
    )
