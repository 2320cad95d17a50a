"""What the portfolio handlers need from outside, as protocols (fakes live in ``testing``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from crypto_trader.portfolio.domain.fill import Fill
from crypto_trader.portfolio.domain.ledger import EntryKind, JournalEntry
from crypto_trader.portfolio.domain.position import Position
from crypto_trader.portfolio.domain.valuation import EquitySnapshot, PositionValue, PriceMark


class Ledger(Protocol):
    """Store journal entries once per source key, with the positions they move."""

    async def book_entry(self, entry: JournalEntry) -> bool:
        """Book an entry unless its source key is booked already; return whether it was booked."""
        ...

    async def book_fill(self, entry: JournalEntry, fill: Fill) -> Position | None:
        """Book a fill's entry and apply it to its position in one transaction.

        Return the updated position, or None when the fill's source key was already booked (then
        nothing changes).
        """
        ...

    async def position(self, account: str, exchange: str, symbol: str) -> Position | None:
        """Return the account's position in one market, if it ever traded there."""
        ...

    async def positions(self, account: str) -> list[Position]:
        """Return every position the account has had, flat ones included."""
        ...

    async def positions_in(self, exchange: str, symbol: str) -> list[Position]:
        """Return every account's position in one market."""
        ...

    async def balances(self, account: str) -> dict[str, Decimal]:
        """Return the account's assets balance per asset."""
        ...

    async def fills_booked(self, account: str) -> int:
        """Return how many fills of the account are booked."""
        ...

    async def journal(self, account: str, kind: EntryKind | None, limit: int) -> list[JournalEntry]:
        """Return the account's newest entries first, optionally of one kind."""
        ...


class PriceBook(Protocol):
    """Keep the last price of each market."""

    async def record(self, mark: PriceMark) -> bool:
        """Store the mark if it supersedes the current one; return whether it did."""
        ...

    async def prices(self) -> dict[tuple[str, str], Decimal]:
        """Return the last price of every market, keyed by (exchange, symbol)."""
        ...


class PortfolioPublisher(Protocol):
    """Announce position and equity changes durably, deduplicated by event id."""

    async def position_changed(
        self, value: PositionValue, *, event_id: str, ts_event: int, ts_init: int
    ) -> None:
        """Publish a PositionChanged event."""
        ...

    async def equity_updated(
        self, snapshot: EquitySnapshot, *, event_id: str, ts_event: int, ts_init: int
    ) -> None:
        """Publish an EquityUpdated event."""
        ...
