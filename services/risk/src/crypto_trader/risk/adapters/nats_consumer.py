"""Feed strategy signals to ``decide`` (durable ``risk-signals``) and execution's terminal order
updates to ``record_order_outcome`` (durable ``risk-order-updates``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

from google.protobuf.message import Message

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.codec import (
    decimal_from_wire,
    optional_decimal_from_wire,
    side_from_proto,
)
from crypto_trader.common.errors import InvalidInput, InvalidMessage
from crypto_trader.common.metrics import MESSAGES
from crypto_trader.common.model import validate_symbol
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints
from crypto_trader.contracts.execution.v1 import orders_pb2 as execution_pb2
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.risk.domain.decision import DecisionRecord
from crypto_trader.risk.domain.exposure import ExposureChange, OrderEnd, OrderOutcome
from crypto_trader.risk.domain.signal import SignalAction, TradeSignal

DURABLE = "risk-signals"
ORDER_UPDATES_DURABLE = "risk-order-updates"

_ENDS = {
    execution_pb2.ORDER_STATUS_FILLED: OrderEnd.FILLED,
    execution_pb2.ORDER_STATUS_CANCELED: OrderEnd.CANCELED,
    execution_pb2.ORDER_STATUS_REJECTED: OrderEnd.REJECTED,
}

_ACTIONS = {
    signals_pb2.SIGNAL_ACTION_ENTER_LONG: SignalAction.ENTER_LONG,
    signals_pb2.SIGNAL_ACTION_EXIT_LONG: SignalAction.EXIT_LONG,
    signals_pb2.SIGNAL_ACTION_ENTER_SHORT: SignalAction.ENTER_SHORT,
    signals_pb2.SIGNAL_ACTION_EXIT_SHORT: SignalAction.EXIT_SHORT,
}


def signal_from_proto(message: signals_pb2.SignalGenerated) -> TradeSignal:
    """Decode and validate a signal, raising InvalidMessage when it breaks the contract."""
    for field in ("event_id", "account", "exchange", "symbol", "timeframe"):
        if not getattr(message, field):
            raise InvalidMessage(f"SignalGenerated without {field}")
    action = _ACTIONS.get(message.action)
    if action is None:
        raise InvalidMessage(f"SignalGenerated {message.event_id} has no known action")
    price = decimal_from_wire(message.reference_price, field="reference_price")
    if price <= 0:
        raise InvalidMessage(f"SignalGenerated {message.event_id}: reference price {price} <= 0")
    try:
        symbol = validate_symbol(message.symbol)
    except InvalidInput as error:
        raise InvalidMessage(str(error)) from None
    hints = NO_HINTS if action.closes else _hints(message)
    return TradeSignal(
        signal_id=message.event_id,
        account=message.account,
        exchange=message.exchange,
        symbol=symbol,
        timeframe=message.timeframe,
        action=action,
        reference_price=price,
        candle_open_time_ms=message.candle_open_time_ms,
        hints=hints,
    )


def _hints(message: signals_pb2.SignalGenerated) -> ExitHints:
    return ExitHints(
        stop_loss=optional_decimal_from_wire(message.stop_loss, field="stop_loss"),
        take_profit=optional_decimal_from_wire(message.take_profit, field="take_profit"),
        trailing_stop=optional_decimal_from_wire(message.trailing_stop, field="trailing_stop"),
    )


def outcome_from_proto(message: execution_pb2.OrderUpdated) -> OrderOutcome | None:
    """Decode a terminal order update, None for one still open; InvalidMessage when malformed."""
    if not message.HasField("order"):
        raise InvalidMessage(f"OrderUpdated {message.event_id} without an order")
    order = message.order
    end = _ENDS.get(order.status)
    if end is None:
        return None
    if not order.client_order_id or not order.account:
        raise InvalidMessage(f"OrderUpdated {message.event_id} without order ids")
    try:
        symbol = validate_symbol(order.symbol)
    except InvalidInput as error:
        raise InvalidMessage(str(error)) from None
    return OrderOutcome(
        client_order_id=order.client_order_id,
        account=order.account,
        exchange=order.exchange,
        symbol=symbol,
        side=side_from_proto(order.side),
        quantity=decimal_from_wire(order.quantity, field="quantity"),
        filled_quantity=decimal_from_wire(order.filled_quantity or "0", field="filled_quantity"),
        end=end,
        exit_reason=order.exit_reason,
    )


def consume_signals(
    bus: NatsBus,
    decide: Callable[[TradeSignal], Awaitable[DecisionRecord]],
    *,
    root: str,
    account: str,
    stop: asyncio.Event,
) -> asyncio.Task[None]:
    """Start deciding on the account's signals until ``stop`` is set."""

    async def handle(message: Message, _delivery: Delivery) -> None:
        signal = signal_from_proto(cast(signals_pb2.SignalGenerated, message))
        record = await decide(signal)
        outcome = "approved" if record.approved else "rejected"
        MESSAGES.labels(service="risk", consumer=DURABLE, outcome=outcome).inc()

    return bus.consume(
        streams.signal_stream(root),
        durable=DURABLE,
        filter_subject=subjects.signals(root, account),
        handler=handle,
        accepted=[signals_pb2.SignalGenerated],
        stop=stop,
    )


def consume_order_updates(
    bus: NatsBus,
    record: Callable[[OrderOutcome], Awaitable[ExposureChange | None]],
    *,
    root: str,
    account: str,
    stop: asyncio.Event,
) -> asyncio.Task[None]:
    """Start correcting the exposure from the account's terminal order updates until ``stop``."""

    async def handle(message: Message, _delivery: Delivery) -> None:
        if not isinstance(message, execution_pb2.OrderUpdated):
            MESSAGES.labels(service="risk", consumer=ORDER_UPDATES_DURABLE, outcome="ignored").inc()
            return
        outcome = outcome_from_proto(message)
        change = None if outcome is None else await record(outcome)
        result = "ignored" if change is None else "released"
        MESSAGES.labels(service="risk", consumer=ORDER_UPDATES_DURABLE, outcome=result).inc()

    return bus.consume(
        streams.execution_event_stream(root),
        durable=ORDER_UPDATES_DURABLE,
        filter_subject=subjects.account_execution_events(root, account),
        handler=handle,
        accepted=[execution_pb2.OrderUpdated, execution_pb2.OrderFilled],
        stop=stop,
    )
