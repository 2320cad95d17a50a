"""Publish outbox rows on the execution event stream, the event id being the message id."""

from __future__ import annotations

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.metrics import EVENTS_PUBLISHED
from crypto_trader.execution.adapters import codec
from crypto_trader.execution.ports import OutboxMessage

# Few quick attempts: the relay keeps the row and tries again on its next pass, so a handler
# never waits long on a bus outage.
_ATTEMPTS = 3


class NatsEventPublisher:
    """Send execution events on ``<root>.execution.events.<account>.<symbol>``."""

    def __init__(self, bus: NatsBus, *, root: str) -> None:
        self._bus = bus
        self._root = root

    async def publish(self, message: OutboxMessage) -> None:
        """Publish durably; the stream drops a repeat of an event id (a relay after a crash)."""
        proto = codec.from_outbox(message)
        await self._bus.publish_durable(
            subjects.execution_events(self._root, message.account, message.symbol),
            proto,
            msg_id=message.event_id,
            attempts=_ATTEMPTS,
        )
        EVENTS_PUBLISHED.labels("execution", proto.DESCRIPTOR.name).inc()
