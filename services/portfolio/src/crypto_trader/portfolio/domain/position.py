"""Positions at average cost: signed quantity, cost basis, realised PnL, fees; long and short.

Realised PnL is the trading result only: fees are NOT deducted from it but reported separately
as ``fees_paid`` (quote currency). So, for an account funded with ``deposit`` whose fills are all
in its quote currency, ``cash + quantity * last_price`` equals
``deposit + realised + unrealised - fees_paid`` exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, localcontext

from crypto_trader.common.errors import InvalidInput
from crypto_trader.portfolio.domain.amount import exact_context, quantize_amount
from crypto_trader.portfolio.domain.fill import Fill

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Position:
    """What one account holds of one market, valued at average cost.

    ``cost_basis`` is the signed cost of the open quantity (positive long, negative short), so the
    average entry price is ``cost_basis / quantity`` and no rounding of that average leaks into PnL.
    """

    account: str
    exchange: str
    symbol: str
    quantity: Decimal = _ZERO
    cost_basis: Decimal = _ZERO
    realised_pnl: Decimal = _ZERO
    fees_paid: Decimal = _ZERO
    fills: int = 0
    last_trade_id: str = ""
    updated_ms: int = 0

    @property
    def is_flat(self) -> bool:
        """Tell whether nothing is held."""
        return self.quantity == 0

    @property
    def average_price(self) -> Decimal:
        """Return the average entry price of the open quantity (zero when flat), to 18 places."""
        if self.quantity == 0:
            return _ZERO
        with localcontext(exact_context()):
            return quantize_amount(self.cost_basis / self.quantity).normalize(exact_context())

    def market_value(self, last_price: Decimal) -> Decimal:
        """Return the signed value of the open quantity at ``last_price``."""
        with localcontext(exact_context()):
            return self.quantity * last_price

    def unrealised_pnl(self, last_price: Decimal) -> Decimal:
        """Return what closing everything at ``last_price`` would realise (fees aside)."""
        with localcontext(exact_context()):
            return self.quantity * last_price - self.cost_basis

    def apply(self, fill: Fill) -> Position:
        """Return the position after a fill: opening adds cost, reducing realises, a cross flips."""
        if (fill.account, fill.exchange, fill.symbol) != (self.account, self.exchange, self.symbol):
            raise InvalidInput(
                f"fill {fill.trade_id} is not for position {self.symbol} of {self.account}"
            )
        with localcontext(exact_context()):
            delta = fill.signed_quantity
            quantity, cost, realised = self.quantity, self.cost_basis, self.realised_pnl
            if quantity != 0 and (quantity > 0) != (delta > 0):
                closing = min(abs(delta), abs(quantity))
                # All the cost leaves when the position closes: flat means zero cost, exactly.
                removed = (
                    cost
                    if closing == abs(quantity)
                    else quantize_amount(cost * closing / abs(quantity))
                )
                closed = closing if delta > 0 else -closing
                realised += -closed * fill.price - removed
                cost -= removed
                quantity += closed
                delta -= closed
            if delta != 0:
                cost += delta * fill.price
                quantity += delta
            return replace(
                self,
                quantity=quantity,
                cost_basis=cost,
                realised_pnl=realised,
                fees_paid=self.fees_paid + fill.fee,
                fills=self.fills + 1,
                last_trade_id=fill.trade_id,
                updated_ms=max(self.updated_ms, fill.ts_ms),
            )
