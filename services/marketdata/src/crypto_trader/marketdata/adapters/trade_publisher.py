"""Publish public trades on core NATS as ``TradeTicked`` events (lossy, like the live feed)."""

from __future__ import annotations

import nats.errors

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.metrics import EVENTS_PUBLISHED
from crypto_trader.common.model import decimal_str
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.marketdata.domain.trade import TradeTick, trade_event_id


def trade_ticked(trade: TradeTick, *, now_ms: int) -> market_data_pb2.TradeTicked:
    """Encode the event for a trade: it happened at the trade's own time."""
    return market_data_pb2.TradeTicked(
        event_id=trade_event_id(trade),
        ts_event=trade.ts_event,
        ts_init=now_ms,
        exchange=trade.exchange,
        symbol=trade.symbol,
        trade_id=trade.trade_id,
        price=decimal_str(trade.price),
        quantity=decimal_str(trade.amount),
        buyer_is_maker=trade.buyer_is_maker,
    )


class NatsTradePublisher:
    """Publish each trade on its market's trades subject."""

    def __init__(self, bus: NatsBus, *, root: str, clock: Clock) -> None:
        self._bus = bus
        self._root = root
        self._clock = clock
        # Spelt once per market, and the counter looked up once (a replay sends thousands a second).
        self._subjects: dict[tuple[str, str], str] = {}
        self._published = EVENTS_PUBLISHED.labels(service="marketdata", kind="trade_ticked")

    async def publish_trade(self, trade: TradeTick) -> None:
        """Publish one trade (raises RetryableError when the connection is closed)."""
        message = trade_ticked(trade, now_ms=self._clock.now_ms())
        market = (trade.exchange, trade.symbol)
        subject = self._subjects.get(market)
        if subject is None:
            subject = self._subjects[market] = subjects.trades(self._root, *market)
        try:
            await self._bus.publish(subject, message)
        except (nats.errors.Error, OSError) as error:
            raise RetryableError(f"trade {trade.trade_id} not published: {error}") from error
        self._published.inc()
