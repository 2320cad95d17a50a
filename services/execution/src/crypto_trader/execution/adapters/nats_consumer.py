"""Durable JetStream consumers of approved intents and closed candles, feeding the handlers."""

from __future__ import annotations

import asyncio

from google.protobuf.message import Message

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.codec import candle_from_proto
from crypto_trader.common.errors import InvalidMessage
from crypto_trader.common.metrics import MESSAGES
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2 as risk_orders_pb2
from crypto_trader.execution.adapters import codec
from crypto_trader.execution.handlers import ExecutionHandlers

ORDERS_DURABLE = "execution-orders"
CANDLES_DURABLE = "execution-candles"


def start_consumers(
    bus: NatsBus, handlers: ExecutionHandlers, *, root: str, account: str, stop: asyncio.Event
) -> list[asyncio.Task[None]]:
    """Start both consumers; each handles its messages one at a time until ``stop`` is set."""

    async def on_intent(message: Message, _delivery: Delivery) -> None:
        if not isinstance(message, risk_orders_pb2.OrderIntentApproved):
            raise InvalidMessage(f"unexpected {message.DESCRIPTOR.full_name} among intents")
        command = codec.intent_from_proto(message)
        await handlers.on_intent(command)
        MESSAGES.labels("execution", ORDERS_DURABLE, "handled").inc()

    async def on_candle(message: Message, _delivery: Delivery) -> None:
        if not isinstance(message, market_data_pb2.CandleClosed):
            raise InvalidMessage(f"unexpected {message.DESCRIPTOR.full_name} among candles")
        if not message.HasField("candle"):
            raise InvalidMessage("CandleClosed without a candle")
        await handlers.on_candle(candle_from_proto(message.candle))
        MESSAGES.labels("execution", CANDLES_DURABLE, "handled").inc()

    return [
        bus.consume(
            streams.approved_order_stream(root),
            durable=ORDERS_DURABLE,
            filter_subject=subjects.approved_orders(root, account),
            handler=on_intent,
            accepted=[risk_orders_pb2.OrderIntentApproved],
            stop=stop,
        ),
        bus.consume(
            streams.candle_stream(root),
            durable=CANDLES_DURABLE,
            filter_subject=subjects.all_candles(root),
            handler=on_candle,
            accepted=[market_data_pb2.CandleClosed],
            stop=stop,
        ),
    ]
