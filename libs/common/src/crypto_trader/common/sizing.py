"""Position sizing shared by the risk service (exact decimals) and backtests (floats).

Every rule rounds the quantity DOWN to the exchange's lot step, so an order never spends more
than the sizing allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import decimal_str

# Decimal sizing is products, sums and integer division only; the context traps any rounding.
EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, Overflow])

ALL_IN = "all_in"
FIXED_NOTIONAL = "fixed_notional"
FRACTION_OF_EQUITY = "fraction_of_equity"
SIZING_MODES = (ALL_IN, FIXED_NOTIONAL, FRACTION_OF_EQUITY)


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


def quantity_for_notional(notional: Decimal, price: Decimal, step: Decimal) -> Decimal:
    """Return how many whole steps ``notional`` buys at ``price`` (0 when it buys none).

    Raises
    ------
    InvalidInput
        When the price or the step is not positive.
    """
    if price <= 0:
        raise InvalidInput(f"reference price must be positive, got {decimal_str(price)}")
    if step <= 0:
        raise InvalidInput(f"quantity step must be positive, got {decimal_str(step)}")
    if notional <= 0:
        return Decimal(0)
    return EXACT.multiply(EXACT.divide_int(notional, EXACT.multiply(price, step)), step)


def floor_to_step(quantity: float, step: float) -> float:
    """Round a float quantity down to the lot step (no rounding when the step is 0)."""
    if step <= 0:
        return quantity
    return math.floor(quantity / step) * step


@dataclass(frozen=True, slots=True)
class Sizing:
    """How much an entry buys or sells short: all in, a fixed notional, or a fraction of equity."""

    mode: str = ALL_IN
    value: float = 1.0
    quantity_step: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in SIZING_MODES:
            raise InvalidInput(f"sizing must be one of {', '.join(SIZING_MODES)}, got {self.mode}")
        if not (math.isfinite(self.value) and self.value > 0):
            raise InvalidInput(f"sizing value must be positive, got {self.value}")
        if self.mode == FRACTION_OF_EQUITY and self.value > 1:
            raise InvalidInput(f"fraction of equity must be in (0, 1], got {self.value}")
        if not (math.isfinite(self.quantity_step) and self.quantity_step >= 0):
            raise InvalidInput(f"quantity step must be >= 0, got {self.quantity_step}")

    def quantity(self, *, cash: float, equity: float, price: float, fee_rate: float) -> float:
        """Return the entry quantity at ``price`` with the fee paid from the budget, floored."""
        if self.mode == ALL_IN:
            budget = cash
        elif self.mode == FIXED_NOTIONAL:
            budget = min(self.value * (1.0 + fee_rate), cash)
        else:
            budget = min(self.value * equity, cash)
        if not (budget > 0 and price > 0):
            return 0.0
        return floor_to_step(budget / (price * (1.0 + fee_rate)), self.quantity_step)
