"""SQLAlchemy candle store and replay cursors (PostgreSQL and SQLite): each candle stored once."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, Select, case, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row

from crypto_trader.common.clock import Clock, LiveClock
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.adapters.tables import candles, replay_cursors
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey

_CHUNK = 5000


def _chunks(items: Sequence[Candle], size: int) -> Iterator[Sequence[Candle]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _row(candle: Candle) -> dict[str, Any]:
    return {
        "exchange": candle.exchange,
        "symbol": candle.symbol,
        "timeframe": candle.timeframe,
        "open_time_ms": candle.open_time_ms,
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
        "synthetic": candle.synthetic,
    }


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
        """Insert the candles not stored yet, in chunks; return how many were new.

        A candle already stored (same market and open time) is left as it is: the first write wins.
        ``on_chunk(new_in_chunk, rows_in_chunk)`` is called after each chunk commits.
        """
        statement = self._dialect.insert(candles).on_conflict_do_nothing(
            index_elements=["exchange", "symbol", "timeframe", "open_time_ms"]
        )
        stored = 0
        for chunk in _chunks(candles_to_add, _CHUNK):
            with self._engine.begin() as connection:
                # executemany; preserve_rowcount keeps the driver's summed count of rows actually
                # inserted (conflicting rows count zero) on both dialects.
                result = connection.execution_options(preserve_rowcount=True).execute(
                    statement, [_row(candle) for candle in chunk]
                )
                new = result.rowcount
            stored += new
            if on_chunk is not None:
                on_chunk(new, len(chunk))
        return stored

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
        query = self._range(select(candles), key, start_ms, end_ms).order_by(order)
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

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self._engine.dispose()
