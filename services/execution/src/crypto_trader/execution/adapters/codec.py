"""Mapping between execution's domain and its proto messages (intents in, orders and fills out)."""

from __future__ import annotations

from decimal import Decimal

from google.protobuf.message import Message

from crypto_trader.common import bus
from crypto_trader.common.codec import (
    decimal_from_wire,
    optional_decimal_from_wire,
    side_from_proto,
    side_to_proto,
)
from crypto_trader.common.errors import InvalidInput, InvalidMessage
from crypto_trader.common.model import Timeframe, decimal_str, validate_symbol
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints, hint_problem
from crypto_trader.common.subjects import token
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2 as risk_orders_pb2
from crypto_trader.execution.domain.events import ExecutionEvent, OrderUpdated
from crypto_trader.execution.domain.order import Order, OrderStatus, OrderType, TradingMode
from crypto_trader.execution.handlers import PlaceOrder
from crypto_trader.execution.ports import OutboxMessage

_STATUS_TO_PROTO = {
    OrderStatus.PENDING_SUBMIT: orders_pb2.ORDER_STATUS_PENDING_SUBMIT,
    OrderStatus.ACCEPTED: orders_pb2.ORDER_STATUS_ACCEPTED,
    OrderStatus.PARTIALLY_FILLED: orders_pb2.ORDER_STATUS_PARTIALLY_FILLED,
    OrderStatus.FILLED: orders_pb2.ORDER_STATUS_FILLED,
    OrderStatus.CANCELED: orders_pb2.ORDER_STATUS_CANCELED,
    OrderStatus.REJECTED: orders_pb2.ORDER_STATUS_REJECTED,
}
_MODE_TO_PROTO = {
    TradingMode.PAPER: common_pb2.TRADING_MODE_PAPER,
    TradingMode.LIVE: common_pb2.TRADING_MODE_LIVE,
}
_MODE_FROM_PROTO = {value: mode for mode, value in _MODE_TO_PROTO.items()}
_ORDER_TYPE_FROM_PROTO = {
    risk_orders_pb2.ORDER_TYPE_MARKET: OrderType.MARKET,
    risk_orders_pb2.ORDER_TYPE_LIMIT: OrderType.LIMIT,
}
EVENT_TYPES: tuple[type[Message], ...] = (orders_pb2.OrderUpdated, orders_pb2.OrderFilled)


def intent_from_proto(message: risk_orders_pb2.OrderIntentApproved) -> PlaceOrder:
    """Decode and check an approved intent; raise InvalidMessage when it breaks the contract."""
    try:
        if not message.client_order_id or len(message.client_order_id) > 64:
            raise InvalidMessage("intent needs a client order id of at most 64 characters")
        if not message.account:
            raise InvalidMessage("intent without an account")
        quantity = decimal_from_wire(message.quantity, field="quantity")
        if quantity <= 0:
            raise InvalidMessage(f"intent quantity must be positive, got {message.quantity!r}")
        order_type = _ORDER_TYPE_FROM_PROTO.get(message.order_type)
        if order_type is None:
            raise InvalidMessage("intent order type is unspecified")
        mode = _MODE_FROM_PROTO.get(message.mode)
        if mode is None:
            raise InvalidMessage("intent trading mode is unspecified")
        side = side_from_proto(message.side)
        reference = optional_decimal_from_wire(message.reference_price, field="reference_price")
        hints = NO_HINTS if message.reduce_only else _hints(message)
        if not hints.empty:
            if reference is None or reference <= 0:
                raise InvalidMessage("intent with exit hints needs a positive reference price")
            problem = hint_problem(side, reference, hints)
            if problem is not None:
                raise InvalidMessage(f"intent {message.intent_id}: {problem}")
        return PlaceOrder(
            intent_id=message.intent_id,
            client_order_id=message.client_order_id,
            account=message.account,
            exchange=token(message.exchange),
            symbol=validate_symbol(message.symbol),
            side=side,
            order_type=order_type,
            quantity=quantity,
            mode=mode,
            timeframe=Timeframe(message.timeframe).code,
            not_before_ms=message.not_before_ms,
            reference_price=reference or Decimal(0),
            hints=hints,
            reduce_only=message.reduce_only,
        )
    except InvalidMessage:
        raise
    except InvalidInput as error:
        raise InvalidMessage(str(error)) from None


def _hints(message: risk_orders_pb2.OrderIntentApproved) -> ExitHints:
    return ExitHints(
        stop_loss=optional_decimal_from_wire(message.stop_loss, field="stop_loss"),
        take_profit=optional_decimal_from_wire(message.take_profit, field="take_profit"),
        trailing_stop=optional_decimal_from_wire(message.trailing_stop, field="trailing_stop"),
    )


def mode_to_proto(mode: TradingMode) -> common_pb2.TradingMode:
    """Map a trading mode to its proto enum."""
    return _MODE_TO_PROTO[mode]


def order_to_proto(order: Order) -> orders_pb2.Order:
    """Encode an order."""
    average = order.average_price
    return orders_pb2.Order(
        client_order_id=order.client_order_id,
        venue_order_id=order.venue_order_id,
        account=order.account,
        exchange=order.exchange,
        symbol=order.symbol,
        side=side_to_proto(order.side),
        order_type=str(order.order_type),
        quantity=decimal_str(order.quantity),
        filled_quantity=decimal_str(order.filled_quantity),
        average_price="" if average is None else decimal_str(average),
        status=_STATUS_TO_PROTO[order.status],
        created_ms=order.created_ms,
        updated_ms=order.updated_ms,
        reason=order.reason,
        mode=_MODE_TO_PROTO[order.mode],
        exit_reason=order.exit_reason,
        protected_client_order_id=order.protected_client_order_id,
    )


def event_to_proto(event: ExecutionEvent) -> orders_pb2.OrderUpdated | orders_pb2.OrderFilled:
    """Encode an execution event."""
    if isinstance(event, OrderUpdated):
        return orders_pb2.OrderUpdated(
            event_id=event.event_id,
            ts_event=event.ts_event,
            ts_init=event.ts_init,
            order=order_to_proto(event.order),
        )
    order, fill = event.order, event.fill
    return orders_pb2.OrderFilled(
        event_id=event.event_id,
        ts_event=event.ts_event,
        ts_init=event.ts_init,
        trade_id=fill.trade_id,
        client_order_id=order.client_order_id,
        venue_order_id=order.venue_order_id,
        account=order.account,
        exchange=order.exchange,
        symbol=order.symbol,
        side=side_to_proto(order.side),
        quantity=decimal_str(fill.quantity),
        price=decimal_str(fill.price),
        fee=decimal_str(fill.fee),
        fee_currency=fill.fee_currency,
        maker=fill.maker,
        mode=_MODE_TO_PROTO[order.mode],
    )


def to_outbox(event: ExecutionEvent) -> OutboxMessage:
    """Encode an event as the outbox row that will be published."""
    message = event_to_proto(event)
    return OutboxMessage(
        event_id=event.event_id,
        account=event.order.account,
        symbol=event.order.symbol,
        type_name=bus.type_name(message),
        payload=message.SerializeToString(),
    )


def from_outbox(message: OutboxMessage) -> Message:
    """Decode an outbox row back into the proto message to publish."""
    return bus.decode(message.payload, {bus.TYPE_HEADER: message.type_name}, EVENT_TYPES)
