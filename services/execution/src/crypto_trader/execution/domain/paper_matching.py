"""The paper exchange's matching: which open orders a closed candle fills, and at what price."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from crypto_trader.common import fill_model
from crypto_trader.common.model import Candle, quote_asset
from crypto_trader.common.protective_exit import ExitTrigger
from crypto_trader.execution.domain.order import Fill, Order, OrderType


def paper_venue_order_id(client_order_id: str) -> str:
    """Return the id the paper exchange gives an order it accepts."""
    return f"paper-{client_order_id}"


def paper_trade_id(client_order_id: str) -> str:
    """Return the trade id of the one fill a paper market order gets."""
    return f"paper-{client_order_id}-1"


def unsupported_reason(order: Order) -> str | None:
    """Say why the paper exchange cannot take an order, or None when it can."""
    if order.order_type is not OrderType.MARKET:
        return f"the paper exchange fills only market orders, not {order.order_type}"
    return None


def candle_fills(order: Order, candle: Candle) -> bool:
    """Tell whether the candle is one the order may fill on.

    A market order fills at the open of the first closed candle of its own market and timeframe that
    opened after ``not_before_ms`` (the candle its signal was computed on), so it never sees a price
    its strategy could not have known.
    """
    return (
        order.is_open
        and order.order_type is OrderType.MARKET
        and candle.closed
        and candle.exchange == order.exchange
        and candle.symbol == order.symbol
        and candle.timeframe == order.timeframe
        and candle.open_time_ms > order.not_before_ms
    )


def match(
    order: Order, candle: Candle, *, fee_rate: Decimal, slippage_bps: Decimal = Decimal(0)
) -> Fill | None:
    """Return the fill the candle gives the order, or None when the order does not fill on it."""
    if not candle_fills(order, candle):
        return None
    quantity = order.remaining_quantity
    simulated = fill_model.market_fill_at_open(
        order.side, quantity, candle.open, fee_rate=fee_rate, slippage_bps=slippage_bps
    )
    return Fill(
        trade_id=paper_trade_id(order.client_order_id),
        client_order_id=order.client_order_id,
        quantity=quantity,
        price=simulated.price,
        fee=simulated.fee,
        fee_currency=quote_asset(order.symbol),
        ts_ms=candle.open_time_ms,
    )


def protective_fill(
    order: Order,
    fired: ExitTrigger,
    candle: Candle,
    *,
    taker_fee: Decimal,
    maker_fee: Decimal,
    slippage_bps: Decimal = Decimal(0),
) -> Fill:
    """Return the fill of a protective exit order at the price its trigger fired at.

    Stops are takers (slippage against them, the taker fee); a take-profit rests at its price and
    pays the maker fee.
    """
    quantity = order.remaining_quantity
    simulated = fill_model.fill_at(
        order.side,
        quantity,
        fired.price,
        fee_rate=taker_fee if fired.taker else maker_fee,
        slippage_bps=slippage_bps if fired.taker else Decimal(0),
    )
    return Fill(
        trade_id=paper_trade_id(order.client_order_id),
        client_order_id=order.client_order_id,
        quantity=quantity,
        price=simulated.price,
        fee=simulated.fee,
        fee_currency=quote_asset(order.symbol),
        ts_ms=candle.open_time_ms,
        maker=not fired.taker,
    )


def match_all(
    orders: Iterable[Order],
    candle: Candle,
    *,
    fee_rate: Decimal,
    slippage_bps: Decimal = Decimal(0),
) -> list[tuple[Order, Fill]]:
    """Return every order the candle fills, with its fill, in the order given."""
    matched = []
    for order in orders:
        fill = match(order, candle, fee_rate=fee_rate, slippage_bps=slippage_bps)
        if fill is not None:
            matched.append((order, fill))
    return matched
