"""SQLAlchemy candle store (PostgreSQL, SQLite): candles stored once, replay cursors, outages.

Bulk paths bypass SQLAlchemy's per-row work: PostgreSQL ingests through COPY into a temporary table
then ``INSERT ... ON CONFLICT DO NOTHING`` (so a re-ingest stays idempotent), SQLite through the
driver's executemany; ranges are read back as float64 numpy columns for vectorised analytics only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine, Select, case, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from crypto_trader.common.clock import Clock, LiveClock
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.adapters.candle_bulk import (
    FRAME_COLUMNS,
    array_read,
    copy_ingest,
    empty_arrays,
    sqlite_ingest,
    sqlite_read,
)
from crypto_trader.marketdata.adapters.tables import (
    CANDLE_COLUMNS,
    candles,
    exchange_outages,
    replay_cursors,
)
from crypto_trader.marketdata.domain.gap_repair import OpenTimeRange
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey

if TYPE_CHECKING:
    import pandas as pd

_CHUNK = 5000
_COPY_CHUNK = 100_000
_READ_PART_ROWS = 250_000
_READ_MAX_PARTS = 4


def _chunks(items: Sequence[Candle], size: int) -> Iterator[Sequence[Candle]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _candle(row: Row[Any]) -> Candle:
    return Candle(
        exchange=row.exchange,
        symbol=row.symbol,
        timeframe=row.timeframe,
        open_time_ms=row.open_time_ms,
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=row.volume,
        closed=True,
        synthetic=bool(row.synthetic),
    )


class SqlAlchemyCandleStore:
    """Closed candles keyed by (exchange, symbol, timeframe, open time), plus replay cursors."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or LiveClock()
        self._dialect = postgresql if engine.dialect.name == "postgresql" else sqlite

    # ------------------------------------------------------------------------------- candles

    def add_candles(
        self,
        candles_to_add: Sequence[Candle],
        *,
        on_chunk: Callable[[int, int], None] | None = None,
    ) -> int:
        """Insert the candles not stored yet, in bulk chunks; return how many were new.

        A candle already stored (same market and open time) is left as it is: the first write wins.
        ``on_chunk(new_in_chunk, rows_in_chunk)`` is called after each chunk commits.
        """
        postgres = self._engine.dialect.name == "postgresql"
        size = _COPY_CHUNK if postgres else _CHUNK
        stored = 0
        for chunk in _chunks(candles_to_add, size):
            with self._engine.begin() as connection:
                driver = connection.connection.driver_connection
                new = copy_ingest(driver, chunk) if postgres else sqlite_ingest(driver, chunk)
            stored += new
            if on_chunk is not None:
                on_chunk(new, len(chunk))
        return stored

    def delete_before(self, key: MarketKey, before_ms: int) -> int:
        """Delete the market's candles opened before ``before_ms``; return how many went."""
        statement = delete(candles).where(
            candles.c.exchange == key.exchange,
            candles.c.symbol == key.symbol,
            candles.c.timeframe == key.timeframe,
            candles.c.open_time_ms < before_ms,
        )
        with self._engine.begin() as connection:
            return int(connection.execute(statement).rowcount)

    def read_open_times(
        self, key: MarketKey, *, start_ms: int = 0, end_ms: int | None = None
    ) -> list[int]:
        """Return the open times stored in [start_ms, end_ms), oldest first."""
        query = self._range(select(candles.c.open_time_ms), key, start_ms, end_ms).order_by(
            candles.c.open_time_ms
        )
        with self._engine.connect() as connection:
            return [int(value) for value in connection.execute(query).scalars()]

    def read_arrays(
        self, key: MarketKey, start_ms: int = 0, end_ms: int | None = None
    ) -> dict[str, np.ndarray]:
        """Return the range's columns as numpy arrays: int64 open_time, float64 prices/volume.

        Floats are for vectorised analytics only; money stays Decimal everywhere else.
        """
        end = end_ms if end_ms is not None else 2**63 - 1
        if self._engine.dialect.name != "postgresql":
            with self._engine.connect() as connection:
                return sqlite_read(connection.connection.driver_connection, key, start_ms, end)
        query = self._range(
            select(func.min(candles.c.open_time_ms), func.max(candles.c.open_time_ms)),
            key,
            start_ms,
            end,
        )
        with self._engine.connect() as connection:
            first, last = connection.execute(query).one()
        if first is None:
            return empty_arrays()
        step = key.timeframe_ms
        parts = max(1, min(_READ_MAX_PARTS, (last - first) // step // _READ_PART_ROWS + 1))
        edges = [first + (last + 1 - first) * index // parts for index in range(parts + 1)]

        def read_part(index: int) -> list[np.ndarray]:
            with self._engine.connect() as part_connection:
                driver = part_connection.connection.driver_connection
                return array_read(driver, key, edges[index], edges[index + 1])

        if parts == 1:
            pieces = [read_part(0)]
        else:
            with ThreadPoolExecutor(parts) as pool:
                pieces = list(pool.map(read_part, range(parts)))
        columns = [np.concatenate([piece[index] for piece in pieces]) for index in range(6)]
        order = np.argsort(columns[0], kind="stable")  # array_agg keeps no order
        return {name: column[order] for name, column in zip(FRAME_COLUMNS, columns, strict=True)}

    def read_frame(
        self, key: MarketKey, start_ms: int = 0, end_ms: int | None = None
    ) -> pd.DataFrame:
        """Return the range as a DataFrame: int64 ``open_time`` and float64 OHLCV columns."""
        import pandas as pd

        return pd.DataFrame(self.read_arrays(key, start_ms, end_ms), columns=list(FRAME_COLUMNS))

    def _range(
        self, query: Select[Any], key: MarketKey, start_ms: int, end_ms: int | None
    ) -> Select[Any]:
        query = query.where(
            candles.c.exchange == key.exchange,
            candles.c.symbol == key.symbol,
            candles.c.timeframe == key.timeframe,
            candles.c.open_time_ms >= start_ms,
        )
        if end_ms is not None:
            query = query.where(candles.c.open_time_ms < end_ms)
        return query

    def read_candles(
        self,
        key: MarketKey,
        *,
        start_ms: int = 0,
        end_ms: int | None = None,
        limit: int | None = None,
        from_end: bool = False,
    ) -> list[Candle]:
        """Return candles with open times in [start_ms, end_ms), oldest first.

        With ``from_end`` the newest ``limit`` candles of the range are returned, oldest first.
        """
        order = candles.c.open_time_ms.desc() if from_end else candles.c.open_time_ms.asc()
        query = self._range(select(*CANDLE_COLUMNS), key, start_ms, end_ms).order_by(order)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        result = [_candle(row) for row in rows]
        if from_end:
            result.reverse()
        return result

    def count_candles(self, key: MarketKey, *, start_ms: int = 0, end_ms: int | None = None) -> int:
        """Count the candles with open times in [start_ms, end_ms)."""
        query = self._range(select(func.count()).select_from(candles), key, start_ms, end_ms)
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def nth_open_time(
        self, key: MarketKey, *, start_ms: int, end_ms: int | None, n: int
    ) -> int | None:
        """Return the open time of the n-th (1-based) candle from ``start_ms``, or None if fewer."""
        query = (
            self._range(select(candles.c.open_time_ms), key, start_ms, end_ms)
            .order_by(candles.c.open_time_ms)
            .offset(n - 1)
            .limit(1)
        )
        with self._engine.connect() as connection:
            value = connection.execute(query).scalar_one_or_none()
        return None if value is None else int(value)

    def has_candles(self, key: MarketKey) -> bool:
        """Tell whether any candle of the market is stored."""
        query = self._range(select(literal(1)), key, 0, None).limit(1)
        with self._engine.connect() as connection:
            return connection.execute(query).first() is not None

    def coverage(self, exchange: str | None = None) -> list[MarketCoverage]:
        """List every stored market (of one exchange, if given) with its range and count."""
        query = select(
            candles.c.exchange,
            candles.c.symbol,
            candles.c.timeframe,
            func.min(candles.c.open_time_ms),
            func.max(candles.c.open_time_ms),
            func.count(),
            # max() over booleans is not portable; over 0/1 it is.
            func.max(case((candles.c.synthetic, 1), else_=0)),
        ).group_by(candles.c.exchange, candles.c.symbol, candles.c.timeframe)
        if exchange is not None:
            query = query.where(candles.c.exchange == exchange)
        query = query.order_by(candles.c.exchange, candles.c.symbol, candles.c.timeframe)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            MarketCoverage(
                key=MarketKey(row[0], row[1], row[2]),
                first_open_time_ms=int(row[3]),
                last_open_time_ms=int(row[4]),
                candle_count=int(row[5]),
                synthetic=bool(row[6]),
            )
            for row in rows
        ]

    def latest_candle(
        self, key: MarketKey, *, until_open_time_ms: int | None = None
    ) -> Candle | None:
        """Return the newest candle of the market (opened at or before a time, if given)."""
        end = None if until_open_time_ms is None else until_open_time_ms + 1
        found = self.read_candles(key, end_ms=end, limit=1, from_end=True)
        return found[0] if found else None

    # ------------------------------------------------------------------------------- cursors

    def load_cursor(self, key: MarketKey) -> int | None:
        """Return the open time of the last candle the replay published, or None."""
        query = select(replay_cursors.c.last_published_open_time_ms).where(
            replay_cursors.c.exchange == key.exchange,
            replay_cursors.c.symbol == key.symbol,
            replay_cursors.c.timeframe == key.timeframe,
        )
        with self._engine.connect() as connection:
            value = connection.execute(query).scalar_one_or_none()
        return None if value is None else int(value)

    def save_cursor(self, key: MarketKey, open_time_ms: int) -> None:
        """Remember the open time of the last candle the replay published."""
        now = self._clock.now_ms()
        statement = self._dialect.insert(replay_cursors).values(
            exchange=key.exchange,
            symbol=key.symbol,
            timeframe=key.timeframe,
            last_published_open_time_ms=open_time_ms,
            updated_at_ms=now,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["exchange", "symbol", "timeframe"],
            set_={"last_published_open_time_ms": open_time_ms, "updated_at_ms": now},
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    # ------------------------------------------------------------------------ exchange outages

    def load_outages(self, key: MarketKey) -> list[OpenTimeRange]:
        """Return the ranges the market's exchange was found to have no candles in, oldest first."""
        query = (
            select(exchange_outages.c.start_ms, exchange_outages.c.end_ms)
            .where(
                exchange_outages.c.exchange == key.exchange,
                exchange_outages.c.symbol == key.symbol,
                exchange_outages.c.timeframe == key.timeframe,
            )
            .order_by(exchange_outages.c.start_ms)
        )
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [OpenTimeRange(int(row[0]), int(row[1])) for row in rows]

    def forget_outages(self, key: MarketKey) -> int:
        """Forget every range remembered as empty on the market's exchange; return how many."""
        statement = delete(exchange_outages).where(
            exchange_outages.c.exchange == key.exchange,
            exchange_outages.c.symbol == key.symbol,
            exchange_outages.c.timeframe == key.timeframe,
        )
        with self._engine.begin() as connection:
            return int(connection.execute(statement).rowcount)

    def save_outages(self, key: MarketKey, ranges: Sequence[OpenTimeRange]) -> None:
        """Remember ranges the exchange has no candles in; one of the same start is replaced."""
        if not ranges:
            return
        now = self._clock.now_ms()
        statement = self._dialect.insert(exchange_outages).values(
            [
                {
                    "exchange": key.exchange,
                    "symbol": key.symbol,
                    "timeframe": key.timeframe,
                    "start_ms": found.start_ms,
                    "end_ms": found.end_ms,
                    "recorded_at_ms": now,
                }
                for found in ranges
            ]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["exchange", "symbol", "timeframe", "start_ms"],
            set_={"end_ms": statement.excluded.end_ms, "recorded_at_ms": now},
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self._engine.dispose()
