"""Feed strategy signals from JetStream to ``decide`` (durable consumer ``risk-signals``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

from google.protobuf.message import Message

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.codec import decimal_from_wire
from crypto_trader.common.errors import InvalidInput, InvalidMessage
from crypto_trader.common.metrics import MESSAGES
from crypto_trader.common.model import validate_symbol
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.risk.domain.decision import DecisionRecord
from crypto_trader.risk.domain.signal import SignalAction, TradeSignal

DURABLE = "risk-signals"

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
    return TradeSignal(
        signal_id=message.event_id,
        account=message.account,
        exchange=message.exchange,
        symbol=symbol,
        timeframe=message.timeframe,
        action=action,
        reference_price=price,
        candle_open_time_ms=message.candle_open_time_ms,
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
