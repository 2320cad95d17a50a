"""What the risk handlers need from the outside world, as protocols."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from crypto_trader.risk.domain.decision import DecisionRecord
from crypto_trader.risk.domain.exposure import ExposureChange


class PositionReader(Protocol):
    """Tell the position an account will hold in a market once every approved order has filled."""

    async def position_quantity(self, account: str, exchange: str, symbol: str) -> Decimal:
        """Return the signed base quantity: positive long, negative short, 0 when flat."""
        ...


class DecisionRepository(Protocol):
    """Keep one decision per signal (sync: call through a thread)."""

    def get(self, signal_id: str) -> DecisionRecord | None:
        """Return the decision taken on a signal, or None when there is none yet."""
        ...

    def get_by_order(self, client_order_id: str) -> DecisionRecord | None:
        """Return the approved decision that gave an order its client order id, or None."""
        ...

    def add(self, record: DecisionRecord) -> DecisionRecord:
        """Store a decision unless one exists for its signal; return the stored one."""
        ...

    def counts(self, account: str) -> tuple[int, int]:
        """Return how many decisions of the account were approved and rejected."""
        ...


class ExposureRepository(Protocol):
    """Keep the exposure corrections execution's order outcomes call for (sync: via a thread)."""

    def add_change(self, change: ExposureChange) -> bool:
        """Store a change unless its order has one; return whether it was stored now."""
        ...


class DecisionPublisher(Protocol):
    """Deliver decisions durably, deduplicated by event id."""

    async def publish(self, record: DecisionRecord) -> None:
        """Publish the event of a decision; publishing it again has no further effect."""
        ...
