"""Position sizing: how much to buy for a notional, how much to sell to close, in exchange steps."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.common.model import Side, decimal_str
from crypto_trader.common.sizing import EXACT, quantity_for_notional, round_down_to_step
from crypto_trader.risk.domain.decision import Decision

__all__ = ["EXACT", "round_down_to_step", "size_cover", "size_entry", "size_exit"]


def size_entry(
    order_notional: Decimal, reference_price: Decimal, step: Decimal, side: Side = Side.BUY
) -> Decision:
    """Buy (or short) ``order_notional`` worth at ``reference_price``, rounded down to ``step``.

    Raises
    ------
    InvalidInput
        When the price is not positive.
    """
    quantity = quantity_for_notional(order_notional, reference_price, step)
    if quantity <= 0:
        return Decision.reject(
            f"quantity rounds down to 0: order_notional {decimal_str(order_notional)}"
            f" / price {decimal_str(reference_price)} at quantity_step {decimal_str(step)}"
        )
    return Decision.approve(side, quantity)


def size_exit(position_quantity: Decimal) -> Decision:
    """Sell the whole long position; there is nothing to sell when flat or short."""
    if position_quantity <= 0:
        return Decision.reject("no position to close")
    return Decision.approve(Side.SELL, position_quantity)


def size_cover(position_quantity: Decimal) -> Decision:
    """Buy back the whole short position; there is nothing to cover when flat or long."""
    if position_quantity >= 0:
        return Decision.reject("no short position to cover")
    return Decision.approve(Side.BUY, -position_quantity)
