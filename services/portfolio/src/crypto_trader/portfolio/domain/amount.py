"""Exact amounts: what the ledger stores without rounding, and arithmetic that keeps them exact."""

from __future__ import annotations

import decimal
from decimal import Decimal

# Money columns are NUMERIC(38, 18) on PostgreSQL, which rounds values outside these limits.
AMOUNT_PLACES = 18
MAX_INTEGER_DIGITS = 38 - AMOUNT_PLACES
# Stored values are read back through Decimal.normalize() in the default 28-digit context.
MAX_SIGNIFICANT_DIGITS = 28
QUANTUM = Decimal(1).scaleb(-AMOUNT_PLACES)


def exact_context() -> decimal.Context:
    """Return a context wide enough that products and sums of storable amounts never round."""
    return decimal.Context(prec=2 * MAX_SIGNIFICANT_DIGITS + 4, rounding=decimal.ROUND_HALF_EVEN)


def is_storable(value: Decimal) -> bool:
    """Tell whether the value survives a round trip through the database unchanged."""
    if not value.is_finite():
        return False
    if value == 0:
        return True
    _, digits, raw_exponent = value.as_tuple()
    significant = list(digits)
    exponent = int(raw_exponent)
    # Trailing zeros are not significant: 1.500 needs as many places as 1.5.
    while len(significant) > 1 and significant[-1] == 0:
        significant.pop()
        exponent += 1
    fraction_digits = max(0, -exponent)
    integer_digits = max(0, len(significant) + exponent)
    return (
        fraction_digits <= AMOUNT_PLACES
        and integer_digits <= MAX_INTEGER_DIGITS
        and len(significant) <= MAX_SIGNIFICANT_DIGITS
    )


def quantize_amount(value: Decimal) -> Decimal:
    """Round a derived amount (an average, a pro-rata cost) to the ledger's 18 places, half-even."""
    return value.quantize(QUANTUM, context=exact_context())
