"""Simulated fills: the one fill model shared by strategy backtests and the paper exchange.

Pure functions over exact decimals, so a backtest and the paper exchange fed the same candles
produce the same prices and fees to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side

_BPS = Decimal(10_000)
# Enough digits that price * quantity * rate never rounds for any realistic market.
_PRECISION = 60


@dataclass(frozen=True, slots=True)
class SimulatedFill:
    """The price an order fills at and the fee it pays (in the quote currency)."""

    price: Decimal
    fee: Decimal


def slipped_price(side: Side, price: Decimal, *, slippage_bps: Decimal = Decimal(0)) -> Decimal:
    """Return ``price`` moved against the taker: up for a buy, down for a sell.

    Raises
    ------
    InvalidInput
        When the price is not positive or the slippage is negative or 10,000 bps or more.
    """
    if price <= 0:
        raise InvalidInput(f"price must be positive, got {price}")
    if slippage_bps < 0 or slippage_bps >= _BPS:
        raise InvalidInput(f"slippage must be in [0, 10000) bps, got {slippage_bps}")
    with localcontext(prec=_PRECISION):
        shift = price * slippage_bps / _BPS
        return price + shift if side is Side.BUY else price - shift


def trading_fee(quantity: Decimal, price: Decimal, *, fee_rate: Decimal) -> Decimal:
    """Return ``quantity * price * fee_rate`` exactly.

    Raises
    ------
    InvalidInput
        When the quantity or price is not positive or the fee rate is negative.
    """
    if quantity <= 0:
        raise InvalidInput(f"quantity must be positive, got {quantity}")
    if price <= 0:
        raise InvalidInput(f"price must be positive, got {price}")
    if fee_rate < 0:
        raise InvalidInput(f"fee rate must not be negative, got {fee_rate}")
    with localcontext(prec=_PRECISION):
        return quantity * price * fee_rate


def market_fill_at_open(
    side: Side,
    quantity: Decimal,
    candle_open: Decimal,
    *,
    fee_rate: Decimal,
    slippage_bps: Decimal = Decimal(0),
) -> SimulatedFill:
    """Fill a market order completely at a candle's open, after slippage, paying the taker fee.

    Raises
    ------
    InvalidInput
        When any input is out of range (see ``slipped_price`` and ``trading_fee``).
    """
    return fill_at(side, quantity, candle_open, fee_rate=fee_rate, slippage_bps=slippage_bps)


def fill_at(
    side: Side,
    quantity: Decimal,
    price: Decimal,
    *,
    fee_rate: Decimal,
    slippage_bps: Decimal = Decimal(0),
) -> SimulatedFill:
    """Fill an order completely at ``price`` after slippage (0 for a maker), paying ``fee_rate``.

    Raises
    ------
    InvalidInput
        When any input is out of range (see ``slipped_price`` and ``trading_fee``).
    """
    filled = slipped_price(side, price, slippage_bps=slippage_bps)
    return SimulatedFill(price=filled, fee=trading_fee(quantity, filled, fee_rate=fee_rate))
