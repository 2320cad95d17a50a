"""Execution events with deterministic ids: work redone after a crash repeats the same ids."""

from __future__ import annotations

from dataclasses import dataclass

from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import decimal_str
from crypto_trader.execution.domain.order import Fill, Order


@dataclass(frozen=True, slots=True)
class OrderUpdated:
    """An order reached a new state (the order as it is after the change)."""

    event_id: str
    ts_event: int
    ts_init: int
    order: Order


@dataclass(frozen=True, slots=True)
class OrderFilled:
    """A fill was applied to an order (the order as it is after the fill)."""

    event_id: str
    ts_event: int
    ts_init: int
    order: Order
    fill: Fill


ExecutionEvent = OrderUpdated | OrderFilled


def order_updated(order: Order, *, ts_init: int) -> OrderUpdated:
    """Describe the order's latest transition; its id depends only on which transition it was."""
    event_id = stable_id(
        "order-updated",
        order.account,
        order.client_order_id,
        order.status,
        decimal_str(order.filled_quantity),
    )
    return OrderUpdated(event_id=event_id, ts_event=order.updated_ms, ts_init=ts_init, order=order)


def order_filled(order: Order, fill: Fill, *, ts_init: int) -> OrderFilled:
    """Describe a fill; its id derives from the venue trade, so a trade always has one id."""
    event_id = stable_id("order-filled", order.exchange, order.account, fill.trade_id)
    return OrderFilled(
        event_id=event_id, ts_event=fill.ts_ms, ts_init=ts_init, order=order, fill=fill
    )
