"""The portfolio's durable consumers: fills from execution events, last prices from candles."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from google.protobuf.message import Message

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import InvalidInput, InvalidMessage
from crypto_trader.common.metrics import MESSAGES
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.portfolio import handlers
from crypto_trader.portfolio.adapters.codec import candle_from_event, fill_from_proto
from crypto_trader.portfolio.ports import Ledger, PortfolioPublisher, PriceBook

log = logging.getLogger(__name__)

EVENTS_CONSUMER = "portfolio-events"
CANDLES_CONSUMER = "portfolio-candles"
_REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class PortfolioConsumers:
    """Decode bus messages and hand them to the handlers."""

    account: str
    quote_currency: str
    ledger: Ledger
    prices: PriceBook
    publisher: PortfolioPublisher
    clock: Clock

    async def on_execution_event(self, message: Message, delivery: Delivery) -> None:
        """Book an OrderFilled; order updates carry nothing the ledger needs."""
        if not isinstance(message, orders_pb2.OrderFilled):
            _count(EVENTS_CONSUMER, handlers.Outcome.IGNORED)
            return
        try:
            outcome = await handlers.book_fill(
                fill_from_proto(message),
                quote_currency=self.quote_currency,
                ledger=self.ledger,
                prices=self.prices,
                publisher=self.publisher,
                clock=self.clock,
            )
        except InvalidInput:
            _count(EVENTS_CONSUMER, _REJECTED)
            raise
        _count(EVENTS_CONSUMER, outcome)
        log.info("fill %s %s (message %s)", message.trade_id, outcome, delivery.msg_id)

    async def on_candle(self, message: Message, _delivery: Delivery) -> None:
        """Mark the candle's market to its close."""
        try:
            if not isinstance(message, market_data_pb2.CandleClosed):
                raise InvalidMessage(
                    f"unexpected {message.DESCRIPTOR.full_name} on the candle stream"
                )
            outcome = await handlers.on_candle(
                candle_from_event(message),
                account=self.account,
                quote_currency=self.quote_currency,
                ledger=self.ledger,
                prices=self.prices,
                publisher=self.publisher,
                clock=self.clock,
            )
        except InvalidInput:
            _count(CANDLES_CONSUMER, _REJECTED)
            raise
        _count(CANDLES_CONSUMER, outcome)

    def start(self, bus: NatsBus, *, root: str, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        """Start both durable consumers; they finish their current message once ``stop`` is set."""
        return [
            bus.consume(
                streams.execution_event_stream(root),
                durable=EVENTS_CONSUMER,
                filter_subject=subjects.all_execution_events(root),
                handler=self.on_execution_event,
                accepted=[orders_pb2.OrderFilled, orders_pb2.OrderUpdated],
                stop=stop,
            ),
            bus.consume(
                streams.candle_stream(root),
                durable=CANDLES_CONSUMER,
                filter_subject=subjects.all_candles(root),
                handler=self.on_candle,
                accepted=[market_data_pb2.CandleClosed],
                stop=stop,
            ),
        ]


def _count(consumer: str, outcome: str) -> None:
    MESSAGES.labels("portfolio", consumer, outcome).inc()
