"""SQLAlchemy trade store and trade replay cursors (PostgreSQL and SQLite): each trade stored once.

Ingest goes around SQLAlchemy's per-row work: COPY into a temporary table, then ``INSERT ... ON
CONFLICT DO NOTHING`` on PostgreSQL; the driver's executemany with ``INSERT OR IGNORE`` on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from operator import attrgetter
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from crypto_trader.common.clock import Clock, LiveClock
from crypto_trader.common.model import Side, decimal_str
from crypto_trader.marketdata.adapters.tables import trade_cursors, trades
from crypto_trader.marketdata.domain.trade import TradeOrder, TradeTick, trade_order

_CHUNK = 5000
_COPY_CHUNK = 100_000
# Fixed SQL text (no interpolation): the temporary load table mirrors marketdata_trades.
_CREATE_LOAD = (
    "CREATE TEMP TABLE IF NOT EXISTS marketdata_trades_load "
    "(LIKE marketdata_trades INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
_COLUMNS = "exchange, symbol, trade_id, timestamp_ms, side, price, amount"
_COPY_LOAD = f"COPY marketdata_trades_load ({_COLUMNS}) FROM STDIN"  # noqa: S608 - constants
_MERGE_LOAD = (
    f"INSERT INTO marketdata_trades ({_COLUMNS}) "  # noqa: S608 - constants only
    f"SELECT {_COLUMNS} FROM marketdata_trades_load ON CONFLICT DO NOTHING"
)
_SQLITE_INSERT = (
    f"INSERT OR IGNORE INTO marketdata_trades ({_COLUMNS}) "  # noqa: S608 - constants only
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_ROW = attrgetter("exchange", "symbol", "trade_id", "ts_event", "side", "price", "amount")


def _chunks(items: Sequence[TradeTick], size: int) -> Iterator[Sequence[TradeTick]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _trade(row: Row[Any]) -> TradeTick:
    return TradeTick(
        exchange=row.exchange,
        symbol=row.symbol,
        trade_id=row.trade_id,
        ts_event=int(row.timestamp_ms),
        side=Side(row.side),
        price=row.price,
        amount=row.amount,
    )


def _copy_ingest(driver: Any, chunk: Sequence[TradeTick]) -> int:
    with driver.cursor() as cursor:
        # Session-scoped, emptied at each commit: a pooled connection creates it once.
        cursor.execute(_CREATE_LOAD)
        with cursor.copy(_COPY_LOAD) as copy:
            write_row = copy.write_row
            for row in map(_ROW, chunk):
                write_row(row)
        cursor.execute(_MERGE_LOAD)
        return int(cursor.rowcount)


def _sqlite_ingest(driver: Any, chunk: Sequence[TradeTick]) -> int:
    cursor = driver.cursor()
    try:
        before = driver.total_changes
        cursor.executemany(
            _SQLITE_INSERT,
            [
                (
                    trade.exchange,
                    trade.symbol,
                    trade.trade_id,
                    trade.ts_event,
                    trade.side.value,
                    decimal_str(trade.price),
                    decimal_str(trade.amount),
                )
                for trade in chunk
            ],
        )
        return int(driver.total_changes - before)
    finally:
        cursor.close()


class SqlAlchemyTradeStore:
    """Public trades keyed by (exchange, symbol, trade id), plus the replay's trade cursors."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or LiveClock()
        self._postgres = engine.dialect.name == "postgresql"
        self._dialect = postgresql if self._postgres else sqlite

    def add_trades(self, trades_to_add: Sequence[TradeTick]) -> int:
        """Insert the trades not stored yet, in bulk chunks; return how many were new.

        A trade already stored (same exchange, symbol and id) is left as it is.
        """
        stored = 0
        for chunk in _chunks(trades_to_add, _COPY_CHUNK if self._postgres else _CHUNK):
            with self._engine.begin() as connection:
                driver = connection.connection.driver_connection
                stored += (
                    _copy_ingest(driver, chunk) if self._postgres else _sqlite_ingest(driver, chunk)
                )
        return stored

    def read_trades(
        self,
        exchange: str,
        symbol: str,
        *,
        start_ms: int = 0,
        end_ms: int | None = None,
        after: TradeOrder | None = None,
        limit: int | None = None,
    ) -> list[TradeTick]:
        """Return trades stamped in [start_ms, end_ms), past ``after``, in replay order."""
        time = trades.c.timestamp_ms
        # Byte order on PostgreSQL too, as in Python: a locale collation would ignore punctuation
        # and break the keyset paging on ids that are not numbers.
        trade_id = trades.c.trade_id.collate("C") if self._postgres else trades.c.trade_id
        length = func.length(trades.c.trade_id)
        query = select(trades).where(
            trades.c.exchange == exchange, trades.c.symbol == symbol, time >= start_ms
        )
        if end_ms is not None:
            query = query.where(time < end_ms)
        if after is not None:
            query = query.where(_past(after, time, length, trade_id))
        query = query.order_by(time, length, trade_id)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as connection:
            return [_trade(row) for row in connection.execute(query)]

    def count_trades(self, exchange: str, symbol: str) -> int:
        """Count the stored trades of a market."""
        query = select(func.count()).where(trades.c.exchange == exchange, trades.c.symbol == symbol)
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def load_trade_cursor(self, exchange: str, symbol: str) -> TradeOrder | None:
        """Return the replay order of the last trade the replay published, or None."""
        query = select(trade_cursors.c.last_timestamp_ms, trade_cursors.c.last_trade_id).where(
            trade_cursors.c.exchange == exchange, trade_cursors.c.symbol == symbol
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else trade_order(int(row[0]), row[1])

    def save_trade_cursor(self, trade: TradeTick) -> None:
        """Remember the last trade the replay published."""
        now = self._clock.now_ms()
        values = {
            "last_timestamp_ms": trade.ts_event,
            "last_trade_id": trade.trade_id,
            "updated_at_ms": now,
        }
        statement = self._dialect.insert(trade_cursors).values(
            exchange=trade.exchange, symbol=trade.symbol, **values
        )
        statement = statement.on_conflict_do_update(
            index_elements=["exchange", "symbol"], set_=values
        )
        with self._engine.begin() as connection:
            connection.execute(statement)


def _past(after: TradeOrder, time: Any, length: Any, trade_id: Any) -> ColumnElement[bool]:
    # (time, length, id) > after, spelt out: row-value comparison is not portable.
    after_time, after_length, after_id = after
    return or_(
        time > after_time,
        and_(
            time == after_time,
            or_(length > after_length, and_(length == after_length, trade_id > after_id)),
        ),
    )
