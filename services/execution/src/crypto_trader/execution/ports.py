"""What the execution handlers need from outside, as protocols for adapters and fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from crypto_trader.common.model import Candle
from crypto_trader.execution.domain.events import ExecutionEvent
from crypto_trader.execution.domain.order import Fill, Order


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An encoded event, committed together with its effect, waiting to be published."""

    event_id: str
    account: str
    symbol: str
    type_name: str
    payload: bytes


class OrderStore(Protocol):
    """Keep orders, their fills and the outbox of their events; each change commits atomically."""

    async def get(self, client_order_id: str) -> Order | None:
        """Return the order with this client order id, or None."""
        ...

    async def add(self, order: Order, events: Sequence[ExecutionEvent]) -> bool:
        """Commit a new order with its events; return False when its client order id exists."""
        ...

    async def save_fill(
        self, before: Order, after: Order, fill: Fill, events: Sequence[ExecutionEvent]
    ) -> bool:
        """Commit a fill, the order's new state and the events in one transaction.

        Return False, committing nothing, when the stored order is no longer ``before`` (another
        writer got there first) or the trade is already recorded.
        """
        ...

    async def open_orders(
        self, exchange: str, symbol: str, timeframe: str, *, not_before_below_ms: int
    ) -> list[Order]:
        """Return the open orders of a market whose ``not_before_ms`` is below the given time."""
        ...


class Outbox(Protocol):
    """The events committed but not yet published, oldest first."""

    async def unsent(self, limit: int) -> list[OutboxMessage]:
        """Return up to ``limit`` unpublished events in commit order."""
        ...

    async def mark_sent(self, event_id: str, sent_ms: int) -> None:
        """Record that the event reached the bus."""
        ...


class EventPublisher(Protocol):
    """Publish an outbox message durably, deduplicated by its event id."""

    async def publish(self, message: OutboxMessage) -> None:
        """Publish the message; raise RetryableError when the bus cannot take it now."""
        ...


class MarketHistory(Protocol):
    """Answer questions about stored candles."""

    async def first_candle_after(
        self, exchange: str, symbol: str, timeframe: str, after_ms: int
    ) -> Candle | None:
        """Return the first closed candle opened after ``after_ms``, or None if none is stored."""
        ...
