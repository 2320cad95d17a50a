"""Exposure corrections from execution: what never filled, and what protective exits closed.

Risk counts an approved order in its exposure as soon as it approves it (so an exit never races
the booking of its entry). Two facts only execution knows change that count afterwards:

- an approved order ends canceled, rejected or expired with part of it unfilled: that remainder
  leaves the exposure;
- execution closes a position itself with a protective exit (stop-loss, trailing stop,
  take-profit): the quantity it filled changes the exposure as if risk had approved it.

Each order corrects the exposure at most once: the change is keyed by its client order id.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.model import Side


class OrderEnd(enum.StrEnum):
    """How an order ended (execution's terminal states)."""

    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """An order execution reports as terminal, as risk needs it."""

    client_order_id: str
    account: str
    exchange: str
    symbol: str
    side: Side
    quantity: Decimal
    filled_quantity: Decimal
    end: OrderEnd
    # Set when execution placed the order itself to close a position.
    exit_reason: str = ""

    @property
    def unfilled(self) -> Decimal:
        """Return the quantity that will never fill."""
        return self.quantity - self.filled_quantity


@dataclass(frozen=True, slots=True)
class ExposureChange:
    """A signed base quantity added to a market's exposure, once per order."""

    client_order_id: str
    account: str
    exchange: str
    symbol: str
    quantity: Decimal
    reason: str
    ts_ms: int


def _signed(side: Side, quantity: Decimal) -> Decimal:
    return quantity if side is Side.BUY else -quantity


def exposure_change(
    outcome: OrderOutcome, *, approved_by_risk: bool, now_ms: int
) -> ExposureChange | None:
    """Return how a terminal order changes the exposure, or None when it does not.

    An order risk approved is already counted whole: only its unfilled remainder of a cancel,
    reject or expiry is released. A protective exit execution placed is not counted at all: what
    it filled is added. Any other order is none of risk's business.
    """
    if approved_by_risk:
        if outcome.end is OrderEnd.FILLED or outcome.unfilled <= 0:
            return None
        quantity = -_signed(outcome.side, outcome.unfilled)
        reason = f"{outcome.end.value}: released unfilled {outcome.unfilled}"
    elif outcome.exit_reason:
        if outcome.filled_quantity <= 0:
            return None
        quantity = _signed(outcome.side, outcome.filled_quantity)
        reason = f"{outcome.exit_reason}: closed by execution"
    else:
        return None
    return ExposureChange(
        client_order_id=outcome.client_order_id,
        account=outcome.account,
        exchange=outcome.exchange,
        symbol=outcome.symbol,
        quantity=quantity,
        reason=reason,
        ts_ms=now_ms,
    )
