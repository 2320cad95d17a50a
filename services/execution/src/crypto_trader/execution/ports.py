"""What the execution handlers need from outside, as protocols for adapters and fakes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from crypto_trader.common.model import Candle
from crypto_trader.execution.domain.events import ExecutionEvent
from crypto_trader.execution.domain.order import Fill, Order
from crypto_trader.execution.domain.protection import EntryProtection


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


class ProtectionStore(Protocol):
    """Keep each entry order's protective exits."""

    async def add_protection(self, protection: EntryProtection) -> bool:
        """Store an entry's protection; return False when the entry already has one."""
        ...

    async def get_protection(self, entry_client_order_id: str) -> EntryProtection | None:
        """Return the protection of an entry order, or None."""
        ...

    async def save_protection(self, before: EntryProtection, after: EntryProtection) -> bool:
        """Store a new state; return False when the stored one is no longer ``before``."""
        ...

    async def watching_protections(
        self, exchange: str, symbol: str, timeframe: str
    ) -> list[EntryProtection]:
        """Return the market's protections that are active, oldest first."""
        ...

    async def protections_of(
        self, account: str, exchange: str, symbol: str
    ) -> list[EntryProtection]:
        """Return an account's protections in a market, oldest first."""
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

    async def candles_between(
        self, exchange: str, symbol: str, timeframe: str, after_ms: int, before_ms: int
    ) -> list[Candle]:
        """Return the stored closed candles opened after ``after_ms`` and before ``before_ms``."""
        ...
