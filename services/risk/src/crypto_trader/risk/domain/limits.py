"""Pre-trade limits, and the one function that sizes a signal and checks it against them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.model import Side, decimal_str
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints, hint_problem
from crypto_trader.common.sizing import EXACT
from crypto_trader.risk.domain.decision import Decision
from crypto_trader.risk.domain.signal import SignalAction
from crypto_trader.risk.domain.sizing import size_cover, size_entry, size_exit


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The limits of one account, in its quote currency.

    ``allow_short`` lets short entries through; it is off by default because a spot market
    cannot be sold short.
    """

    order_notional: Decimal
    quantity_step: Decimal
    max_position_notional: Decimal
    allow_short: bool = False


def check_max_position(
    position_quantity: Decimal,
    quantity: Decimal,
    reference_price: Decimal,
    max_position_notional: Decimal,
    side: Side = Side.BUY,
    hints: ExitHints = NO_HINTS,
) -> Decision:
    """Approve an entry only if the resulting position's absolute notional stays in the limit."""
    signed = quantity if side is Side.BUY else -quantity
    resulting = EXACT.add(position_quantity, signed)
    notional = EXACT.multiply(abs(resulting), reference_price)
    if notional > max_position_notional:
        sign = "+" if side is Side.BUY else "-"
        return Decision.reject(
            f"max_position_notional exceeded: |position {decimal_str(position_quantity)}"
            f" {sign} quantity {decimal_str(quantity)}| * price {decimal_str(reference_price)}"
            f" = {decimal_str(notional)} > {decimal_str(max_position_notional)}"
        )
    return Decision.approve(side, quantity, hints)


def assess_signal(
    action: SignalAction,
    reference_price: Decimal,
    position_quantity: Decimal,
    limits: RiskLimits,
    *,
    market: str = "this market",
    hints: ExitHints = NO_HINTS,
) -> Decision:
    """Size a signal and check it against every limit (exits carry no hints)."""
    if action is SignalAction.EXIT_LONG:
        return size_exit(position_quantity)
    if action is SignalAction.EXIT_SHORT:
        return size_cover(position_quantity)
    if action is SignalAction.ENTER_SHORT and not limits.allow_short:
        return Decision.reject(f"shorting disabled for {market}")
    side = Side.BUY if action is SignalAction.ENTER_LONG else Side.SELL
    problem = hint_problem(side, reference_price, hints)
    if problem is not None:
        return Decision.reject(problem)
    sized = size_entry(limits.order_notional, reference_price, limits.quantity_step, side)
    if not sized.approved or sized.quantity is None:
        return sized
    return check_max_position(
        position_quantity,
        sized.quantity,
        reference_price,
        limits.max_position_notional,
        side,
        hints,
    )


def needs_position(action: SignalAction, limits: RiskLimits) -> bool:
    """Tell whether deciding on this action needs the current position."""
    return action is not SignalAction.ENTER_SHORT or limits.allow_short
