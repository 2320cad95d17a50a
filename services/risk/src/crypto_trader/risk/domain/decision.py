"""Risk decisions: approved with a side and quantity, or rejected with a reason; and their ids."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Side
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints
from crypto_trader.risk.domain.signal import SignalAction, TradeSignal


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of sizing and checking one signal."""

    approved: bool
    side: Side | None = None
    quantity: Decimal | None = None
    reason: str = ""
    hints: ExitHints = NO_HINTS

    @classmethod
    def approve(cls, side: Side, quantity: Decimal, hints: ExitHints = NO_HINTS) -> Decision:
        """Approve an order of ``quantity`` on ``side``, protected by ``hints`` once it fills."""
        return cls(approved=True, side=side, quantity=quantity, hints=hints)

    @classmethod
    def reject(cls, reason: str) -> Decision:
        """Reject, naming the limit and the numbers that broke it."""
        return cls(approved=False, reason=reason)


def intent_id(signal_id: str) -> str:
    """Return the id of the order intent approved for a signal (also its event id)."""
    return stable_id("intent", signal_id)


def client_order_id(signal_id: str) -> str:
    """Return the client order id of the order for a signal: the same signal, the same order."""
    return "ct-" + stable_id("order", signal_id)[:24]


def rejection_id(signal_id: str) -> str:
    """Return the event id of the rejection of a signal."""
    return stable_id("rejection", signal_id)


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision as stored and published: everything needed to publish the same event again."""

    signal_id: str
    event_id: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    action: SignalAction
    reference_price: Decimal
    not_before_ms: int
    approved: bool
    side: Side | None
    quantity: Decimal | None
    reason: str
    intent_id: str | None
    client_order_id: str | None
    ts_event: int
    ts_init: int
    hints: ExitHints = NO_HINTS

    @property
    def reduce_only(self) -> bool:
        """Tell whether the approved order closes a position (and cancels its protection)."""
        return self.action.closes

    @classmethod
    def of(cls, signal: TradeSignal, decision: Decision, *, now_ms: int) -> DecisionRecord:
        """Record the decision taken on a signal at ``now_ms``."""
        approved = decision.approved
        return cls(
            signal_id=signal.signal_id,
            event_id=intent_id(signal.signal_id) if approved else rejection_id(signal.signal_id),
            account=signal.account,
            exchange=signal.exchange,
            symbol=signal.symbol,
            timeframe=signal.timeframe,
            action=signal.action,
            reference_price=signal.reference_price,
            not_before_ms=signal.candle_open_time_ms,
            approved=approved,
            side=decision.side,
            quantity=decision.quantity,
            reason=decision.reason,
            intent_id=intent_id(signal.signal_id) if approved else None,
            client_order_id=client_order_id(signal.signal_id) if approved else None,
            ts_event=now_ms,
            ts_init=now_ms,
            hints=decision.hints,
        )
