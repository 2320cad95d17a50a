"""Publish closed candles to JetStream as ``marketdata.v1.CandleClosed``."""

from __future__ import annotations

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import Clock
from crypto_trader.common.codec import candle_to_proto
from crypto_trader.common.metrics import EVENTS_PUBLISHED
from crypto_trader.common.model import Candle
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.marketdata.domain.replay import candle_event_id


def candle_closed(candle: Candle, *, now_ms: int) -> market_data_pb2.CandleClosed:
    """Encode the event for a closed candle: it happened at the candle's close time."""
    return market_data_pb2.CandleClosed(
        event_id=candle_event_id(candle),
        ts_event=candle.close_time_ms,
        ts_init=now_ms,
        candle=candle_to_proto(candle),
    )


class NatsCandlePublisher:
    """Publish each candle on its market's subject, de-duplicated by its stable event id."""

    def __init__(self, bus: NatsBus, *, root: str, clock: Clock) -> None:
        self._bus = bus
        self._root = root
        self._clock = clock
        # Spelt once per market, and the counter looked up once: a replay publishes thousands a
        # second, and both cost more than the rest of the encoding.
        self._subjects: dict[tuple[str, str, str], str] = {}
        self._published = EVENTS_PUBLISHED.labels(service="marketdata", kind="candle_closed")

    async def publish(self, candle: Candle) -> None:
        """Publish one closed candle durably (raises RetryableError when the broker stays away)."""
        message = candle_closed(candle, now_ms=self._clock.now_ms())
        market = (candle.exchange, candle.symbol, candle.timeframe)
        subject = self._subjects.get(market)
        if subject is None:
            subject = self._subjects[market] = subjects.candles(self._root, *market)
        await self._bus.publish_durable(subject, message, msg_id=message.event_id)
        self._published.inc()
