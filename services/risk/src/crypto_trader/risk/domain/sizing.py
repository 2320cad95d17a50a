"""Position sizing: how much to buy for a notional, how much to sell to close, in exchange steps."""

from __future__ import annotations

from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side, decimal_str
from crypto_trader.risk.domain.decision import Decision

# Sizing is products, sums and integer division only; the context traps any rounding.
EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, Overflow])


def round_down_to_step(quantity: Decimal, step: Decimal) -> Decimal:
    """Round a non-negative quantity down to a whole number of steps.

    Raises
    ------
    InvalidInput
        When the step is not positive or the quantity is negative.
    """
    if step <= 0:
        raise InvalidInput(f"quantity step must be positive, got {decimal_str(step)}")
    if quantity < 0:
        raise InvalidInput(f"quantity must not be negative, got {decimal_str(quantity)}")
    # Decimal's // is the exact integer part of the quotient, so this never rounds up.
    return EXACT.multiply(EXACT.divide_int(quantity, step), step)


def size_entry(order_notional: Decimal, reference_price: Decimal, step: Decimal) -> Decision:
    """Buy ``order_notional`` worth at ``reference_price``, rounded down to ``step``.

    Raises
    ------
    InvalidInput
        When the price is not positive.
    """
    if reference_price <= 0:
        raise InvalidInput(f"reference price must be positive, got {decimal_str(reference_price)}")
    if step <= 0:
        raise InvalidInput(f"quantity step must be positive, got {decimal_str(step)}")
    steps = EXACT.divide_int(order_notional, EXACT.multiply(reference_price, step))
    quantity = EXACT.multiply(steps, step)
    if quantity <= 0:
        return Decision.reject(
            f"quantity rounds down to 0: order_notional {decimal_str(order_notional)}"
            f" / price {decimal_str(reference_price)} at quantity_step {decimal_str(step)}"
        )
    return Decision.approve(Side.BUY, quantity)


def size_exit(position_quantity: Decimal) -> Decision:
    """Sell the whole long position; there is nothing to sell when flat or short."""
    if position_quantity <= 0:
        return Decision.reject("no position to close")
    return Decision.approve(Side.SELL, position_quantity)
