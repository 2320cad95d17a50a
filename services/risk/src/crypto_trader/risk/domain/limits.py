"""Pre-trade limits, and the one function that sizes a signal and checks it against them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.model import Side, decimal_str
from crypto_trader.common.sizing import EXACT
from crypto_trader.risk.domain.decision import Decision
from crypto_trader.risk.domain.signal import SignalAction
from crypto_trader.risk.domain.sizing import size_entry, size_exit


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The limits of one account, in its quote currency."""

    order_notional: Decimal
    quantity_step: Decimal
    max_position_notional: Decimal


def check_max_position(
    position_quantity: Decimal,
    quantity: Decimal,
    reference_price: Decimal,
    max_position_notional: Decimal,
) -> Decision:
    """Approve a buy only if the resulting position stays within the notional limit."""
    resulting = EXACT.add(position_quantity, quantity)
    notional = EXACT.multiply(resulting, reference_price)
    if notional > max_position_notional:
        return Decision.reject(
            f"max_position_notional exceeded: (position {decimal_str(position_quantity)}"
            f" + quantity {decimal_str(quantity)}) * price {decimal_str(reference_price)}"
            f" = {decimal_str(notional)} > {decimal_str(max_position_notional)}"
        )
    return Decision.approve(Side.BUY, quantity)


def assess_signal(
    action: SignalAction,
    reference_price: Decimal,
    position_quantity: Decimal,
    limits: RiskLimits,
) -> Decision:
    """Size a signal and check it against every limit."""
    if action is SignalAction.EXIT_LONG:
        return size_exit(position_quantity)
    if action is not SignalAction.ENTER_LONG:
        return Decision.reject(f"{action.value} is not supported: this platform trades long only")
    sized = size_entry(limits.order_notional, reference_price, limits.quantity_step)
    if not sized.approved or sized.quantity is None:
        return sized
    return check_max_position(
        position_quantity, sized.quantity, reference_price, limits.max_position_notional
    )


def needs_position(action: SignalAction) -> bool:
    """Tell whether deciding on this action needs the current position."""
    return action in (SignalAction.ENTER_LONG, SignalAction.EXIT_LONG)
