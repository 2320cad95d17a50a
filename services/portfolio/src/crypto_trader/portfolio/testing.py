"""In-memory fakes of the portfolio's ports, and builders, for unit tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from crypto_trader.common.model import Side
from crypto_trader.portfolio.domain.fill import Fill
from crypto_trader.portfolio.domain.ledger import (
    EntryKind,
    JournalEntry,
    assets_account,
    balances,
)
from crypto_trader.portfolio.domain.position import Position
from crypto_trader.portfolio.domain.valuation import (
    EquitySnapshot,
    PositionValue,
    PriceMark,
    supersedes,
)


def make_fill(
    trade_id: str = "t-1",
    *,
    side: Side = Side.BUY,
    quantity: str | Decimal = "0.1",
    price: str | Decimal = "30000",
    fee: str | Decimal = "3",
    symbol: str = "BTC/USDT",
    exchange: str = "binance",
    account: str = "paper",
    ts_ms: int = 1_700_000_000_000,
) -> Fill:
    """Build a fill with sensible defaults."""
    return Fill(
        exchange=exchange,
        account=account,
        symbol=symbol,
        side=side,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(fee),
        trade_id=trade_id,
        ts_ms=ts_ms,
    )


class InMemoryLedger:
    """A Ledger kept in dicts, with the same once-per-source-key rule as the database."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []
        self.positions_by_key: dict[tuple[str, str, str], Position] = {}
        self._source_keys: set[str] = set()

    async def book_entry(self, entry: JournalEntry) -> bool:
        if entry.source_key in self._source_keys:
            return False
        self._append(entry)
        return True

    async def book_fill(self, entry: JournalEntry, fill: Fill) -> Position | None:
        if entry.source_key in self._source_keys:
            return None
        key = (fill.account, fill.exchange, fill.symbol)
        # Apply first: a fill the position refuses must leave no journal entry behind.
        updated = self.positions_by_key.get(key, Position(*key)).apply(fill)
        self._append(entry)
        self.positions_by_key[key] = updated
        return updated

    def _append(self, entry: JournalEntry) -> None:
        self._source_keys.add(entry.source_key)
        self.entries.append(entry)

    async def position(self, account: str, exchange: str, symbol: str) -> Position | None:
        return self.positions_by_key.get((account, exchange, symbol))

    async def positions(self, account: str) -> list[Position]:
        return [p for key, p in sorted(self.positions_by_key.items()) if key[0] == account]

    async def positions_in(self, exchange: str, symbol: str) -> list[Position]:
        return [
            p for key, p in sorted(self.positions_by_key.items()) if key[1:] == (exchange, symbol)
        ]

    async def balances(self, account: str) -> dict[str, Decimal]:
        wanted = assets_account(account)
        return {
            asset: total
            for (name, asset), total in balances(self.entries).items()
            if name == wanted
        }

    async def fills_booked(self, account: str) -> int:
        return sum(1 for e in self.entries if e.account == account and e.kind is EntryKind.FILL)

    async def journal(self, account: str, kind: EntryKind | None, limit: int) -> list[JournalEntry]:
        chosen = [e for e in self.entries if e.account == account and kind in (None, e.kind)]
        return list(reversed(chosen))[:limit]


class InMemoryPriceBook:
    """A PriceBook kept in a dict."""

    def __init__(self) -> None:
        self.marks: dict[tuple[str, str], PriceMark] = {}

    async def record(self, mark: PriceMark) -> bool:
        key = (mark.exchange, mark.symbol)
        if not supersedes(mark, self.marks.get(key)):
            return False
        self.marks[key] = mark
        return True

    async def prices(self) -> dict[tuple[str, str], Decimal]:
        return {key: mark.price for key, mark in self.marks.items()}


@dataclass
class RecordingPublisher:
    """A PortfolioPublisher that keeps what it was asked to publish, deduplicated by event id."""

    positions: dict[str, PositionValue] = field(default_factory=dict)
    equities: dict[str, EquitySnapshot] = field(default_factory=dict)
    times: dict[str, tuple[int, int]] = field(default_factory=dict)
    attempts: int = 0

    async def position_changed(
        self, value: PositionValue, *, event_id: str, ts_event: int, ts_init: int
    ) -> None:
        self.attempts += 1
        self.positions.setdefault(event_id, value)
        self.times.setdefault(event_id, (ts_event, ts_init))

    async def equity_updated(
        self, snapshot: EquitySnapshot, *, event_id: str, ts_event: int, ts_init: int
    ) -> None:
        self.attempts += 1
        self.equities.setdefault(event_id, snapshot)
        self.times.setdefault(event_id, (ts_event, ts_init))
