"""SQLAlchemy implementations of the Ledger and PriceBook ports (sync SQL run in worker threads)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, Engine, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import RetryableError
from crypto_trader.portfolio.adapters.tables import journal, positions, postings, prices
from crypto_trader.portfolio.domain.fill import Fill
from crypto_trader.portfolio.domain.ledger import EntryKind, JournalEntry, Posting, assets_account
from crypto_trader.portfolio.domain.position import Position
from crypto_trader.portfolio.domain.valuation import PriceMark, PriceSource, supersedes


class _AlreadyBooked(Exception):
    pass


class SqlAlchemyLedger:
    """The ledger in SQL: an entry and its position update commit together, once per source key."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    async def book_entry(self, entry: JournalEntry) -> bool:
        return await asyncio.to_thread(self._book_entry, entry)

    async def book_fill(self, entry: JournalEntry, fill: Fill) -> Position | None:
        return await asyncio.to_thread(self._book_fill, entry, fill)

    def _book_entry(self, entry: JournalEntry) -> bool:
        try:
            with self._engine.begin() as conn:
                _insert_entry(conn, entry, booked_ms=self._clock.now_ms())
        except _AlreadyBooked:
            return False
        return True

    def _book_fill(self, entry: JournalEntry, fill: Fill) -> Position | None:
        try:
            with self._engine.begin() as conn:
                _insert_entry(conn, entry, booked_ms=self._clock.now_ms())
                return _apply_to_position(conn, fill)
        except _AlreadyBooked:
            return None

    async def position(self, account: str, exchange: str, symbol: str) -> Position | None:
        def read() -> Position | None:
            with self._engine.connect() as conn:
                row = conn.execute(
                    select(positions).where(*_position_key(account, exchange, symbol))
                ).first()
            return None if row is None else _position_from_row(row)

        return await asyncio.to_thread(read)

    async def positions(self, account: str) -> list[Position]:
        return await asyncio.to_thread(self._positions, positions.c.account == account)

    async def positions_in(self, exchange: str, symbol: str) -> list[Position]:
        return await asyncio.to_thread(
            self._positions, positions.c.exchange == exchange, positions.c.symbol == symbol
        )

    def _positions(self, *where: ColumnElement[bool]) -> list[Position]:
        query = (
            select(positions)
            .where(*where)
            .order_by(positions.c.account, positions.c.exchange, positions.c.symbol)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [_position_from_row(row) for row in rows]

    async def balances(self, account: str) -> dict[str, Decimal]:
        return await asyncio.to_thread(self._balances, assets_account(account))

    def _balances(self, ledger_account: str) -> dict[str, Decimal]:
        with self._engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                rows = conn.execute(
                    select(postings.c.asset, func.sum(postings.c.amount))
                    .where(postings.c.ledger_account == ledger_account)
                    .group_by(postings.c.asset)
                ).all()
                return {asset: Decimal(total) for asset, total in rows}
            # SQLite keeps amounts as text and would SUM them as floats: add them up exactly here.
            rows = conn.execute(
                select(postings.c.asset, postings.c.amount).where(
                    postings.c.ledger_account == ledger_account
                )
            ).all()
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for asset, amount in rows:
            totals[asset] += amount
        return dict(totals)

    async def fills_booked(self, account: str) -> int:
        def count() -> int:
            with self._engine.connect() as conn:
                return int(
                    conn.execute(
                        select(func.count())
                        .select_from(journal)
                        .where(journal.c.account == account, journal.c.kind == EntryKind.FILL.value)
                    ).scalar_one()
                )

        return await asyncio.to_thread(count)

    async def journal(self, account: str, kind: EntryKind | None, limit: int) -> list[JournalEntry]:
        return await asyncio.to_thread(self._journal, account, kind, limit)

    def _journal(self, account: str, kind: EntryKind | None, limit: int) -> list[JournalEntry]:
        query = select(journal).where(journal.c.account == account)
        if kind is not None:
            query = query.where(journal.c.kind == kind.value)
        with self._engine.connect() as conn:
            heads = conn.execute(query.order_by(journal.c.seq.desc()).limit(limit)).all()
            lines: dict[str, list[Posting]] = defaultdict(list)
            if heads:
                for row in conn.execute(
                    select(postings)
                    .where(postings.c.entry_id.in_([head.entry_id for head in heads]))
                    .order_by(postings.c.entry_id, postings.c.line)
                ):
                    lines[row.entry_id].append(Posting(row.ledger_account, row.asset, row.amount))
        return [
            JournalEntry(
                entry_id=head.entry_id,
                account=head.account,
                kind=EntryKind(head.kind),
                source_key=head.source_key,
                ts_ms=head.ts_ms,
                postings=tuple(lines[head.entry_id]),
            )
            for head in heads
        ]


def _insert_entry(conn: Connection, entry: JournalEntry, *, booked_ms: int) -> None:
    # The unique source key is the guarantee; the look-up first only keeps the common duplicate
    # (a redelivery) out of the database server's error log.
    seen = conn.execute(
        select(journal.c.seq).where(journal.c.source_key == entry.source_key)
    ).first()
    if seen is not None:
        raise _AlreadyBooked
    try:
        conn.execute(
            insert(journal).values(
                entry_id=entry.entry_id,
                account=entry.account,
                kind=entry.kind.value,
                source_key=entry.source_key,
                ts_ms=entry.ts_ms,
                booked_ms=booked_ms,
            )
        )
    except IntegrityError:
        raise _AlreadyBooked from None
    conn.execute(
        insert(postings),
        [
            {
                "entry_id": entry.entry_id,
                "line": line,
                "ledger_account": posting.ledger_account,
                "asset": posting.asset,
                "amount": posting.amount,
            }
            for line, posting in enumerate(entry.postings)
        ],
    )


def _position_key(account: str, exchange: str, symbol: str) -> tuple[ColumnElement[bool], ...]:
    return (
        positions.c.account == account,
        positions.c.exchange == exchange,
        positions.c.symbol == symbol,
    )


def _apply_to_position(conn: Connection, fill: Fill) -> Position:
    where = _position_key(fill.account, fill.exchange, fill.symbol)
    row = conn.execute(select(positions).where(*where).with_for_update()).first()
    current = (
        Position(fill.account, fill.exchange, fill.symbol)
        if row is None
        else _position_from_row(row)
    )
    updated = current.apply(fill)
    values = {
        "quantity": updated.quantity,
        "cost_basis": updated.cost_basis,
        "realised_pnl": updated.realised_pnl,
        "fees_paid": updated.fees_paid,
        "fills": updated.fills,
        "last_trade_id": updated.last_trade_id,
        "updated_ms": updated.updated_ms,
    }
    if row is not None:
        conn.execute(update(positions).where(*where).values(**values))
        return updated
    try:
        conn.execute(
            insert(positions).values(
                account=fill.account, exchange=fill.exchange, symbol=fill.symbol, **values
            )
        )
    except IntegrityError:
        # Another replica opened this position at the same moment: roll back; the redelivery books.
        raise RetryableError(
            f"position {fill.symbol} of {fill.account} changed concurrently"
        ) from None
    return updated


def _position_from_row(row: Row[tuple[object, ...]]) -> Position:
    return Position(
        account=row.account,
        exchange=row.exchange,
        symbol=row.symbol,
        quantity=row.quantity,
        cost_basis=row.cost_basis,
        realised_pnl=row.realised_pnl,
        fees_paid=row.fees_paid,
        fills=row.fills,
        last_trade_id=row.last_trade_id,
        updated_ms=row.updated_ms,
    )


class SqlAlchemyPriceBook:
    """Last prices in SQL, one row per market."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def record(self, mark: PriceMark) -> bool:
        return await asyncio.to_thread(self._record, mark)

    def _record(self, mark: PriceMark) -> bool:
        where = (prices.c.exchange == mark.exchange, prices.c.symbol == mark.symbol)
        values = {"price": mark.price, "as_of_ms": mark.as_of_ms, "source": mark.source.value}
        with self._engine.begin() as conn:
            row = conn.execute(select(prices).where(*where).with_for_update()).first()
            current = (
                None
                if row is None
                else PriceMark(
                    row.exchange, row.symbol, row.price, row.as_of_ms, PriceSource(row.source)
                )
            )
            if not supersedes(mark, current):
                return False
            if row is not None:
                conn.execute(update(prices).where(*where).values(**values))
                return True
            try:
                conn.execute(
                    insert(prices).values(exchange=mark.exchange, symbol=mark.symbol, **values)
                )
            except IntegrityError:
                raise RetryableError(f"price of {mark.symbol} changed concurrently") from None
        return True

    async def prices(self) -> dict[tuple[str, str], Decimal]:
        def read() -> dict[tuple[str, str], Decimal]:
            with self._engine.connect() as conn:
                rows = conn.execute(select(prices.c.exchange, prices.c.symbol, prices.c.price))
                return {(exchange, symbol): price for exchange, symbol, price in rows}

        return await asyncio.to_thread(read)
