"""Bulk candle paths: COPY (PostgreSQL) / executemany (SQLite) ingest, and numpy range reads.

Ingest stays idempotent: a chunk of one market over a range nothing stored overlaps is copied
straight into the table; any other chunk is copied into a temporary table and merged with
``INSERT ... ON CONFLICT DO NOTHING``. Reads hand float64 columns to vectorised analytics only.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter, lt
from typing import Any

import numpy as np
import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format

from crypto_trader.common.model import Candle, decimal_str
from crypto_trader.marketdata.domain.market import MarketKey

FRAME_COLUMNS = ("open_time", "open", "high", "low", "close", "volume")
# Fixed SQL text (no interpolation): the temporary load table mirrors marketdata_candles.
_CREATE_LOAD = (
    "CREATE TEMP TABLE IF NOT EXISTS marketdata_candles_load "
    "(LIKE marketdata_candles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
_COPY_LOAD = (
    "COPY marketdata_candles_load (exchange, symbol, timeframe, open_time_ms, "
    "open, high, low, close, volume, synthetic) FROM STDIN"
)
_COPY_DIRECT = (
    "COPY marketdata_candles (exchange, symbol, timeframe, open_time_ms, "
    "open, high, low, close, volume, synthetic) FROM STDIN"
)
_OVERLAP = (
    "SELECT 1 FROM marketdata_candles WHERE exchange = %s AND symbol = %s AND timeframe = %s "
    "AND open_time_ms BETWEEN %s AND %s LIMIT 1"
)
_MERGE_LOAD = (
    "INSERT INTO marketdata_candles (exchange, symbol, timeframe, open_time_ms, "
    "open, high, low, close, volume, synthetic) "
    "SELECT exchange, symbol, timeframe, open_time_ms, open, high, low, close, volume, "
    "synthetic FROM marketdata_candles_load ON CONFLICT DO NOTHING"
)
_SQLITE_INSERT = (
    "INSERT OR IGNORE INTO marketdata_candles (exchange, symbol, timeframe, open_time_ms, "
    "open, high, low, close, volume, synthetic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Bulk reads aggregate each column into one binary float8[]/int8[] value: one row per part instead
# of a million, parsed by numpy. Prices come from the float8 copies the database keeps beside the
# exact NUMERIC columns (a numeric -> float8 cast on every read cost the server most of the time);
# the store still splits large ranges over a few pooled connections that aggregate in parallel.
_ARRAY_HEADER = 20  # ndim, flags, element oid, length, lower bound (one dimension)
_INT8_ARRAY, _FLOAT8_ARRAY = 1016, 1022
_READ_ARRAYS = (
    "SELECT array_agg(open_time_ms), array_agg(open_float), array_agg(high_float), "
    "array_agg(low_float), array_agg(close_float), array_agg(volume_float) "
    "FROM marketdata_candles WHERE exchange = %s AND symbol = %s AND timeframe = %s "
    "AND open_time_ms >= %s AND open_time_ms < %s"
)
_SQLITE_READ = (
    "SELECT open_time_ms, open_float, high_float, low_float, close_float, volume_float "
    "FROM marketdata_candles WHERE exchange = ? AND symbol = ? AND timeframe = ? "
    "AND open_time_ms >= ? AND open_time_ms < ? ORDER BY open_time_ms"
)


# C-speed attribute reads: per-row Python work is what separates us from a raw COPY.
_ROW = attrgetter(
    "exchange",
    "symbol",
    "timeframe",
    "open_time_ms",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "synthetic",
)
_MARKET = attrgetter("exchange", "symbol", "timeframe")
_OPEN_TIME = attrgetter("open_time_ms")


def _copy_rows(copy: Any, chunk: Sequence[Candle]) -> None:
    write_row = copy.write_row
    for row in map(_ROW, chunk):
        write_row(row)


def _fresh_range(cursor: Any, chunk: Sequence[Candle]) -> bool:
    # True when the chunk is one market, strictly increasing, and nothing stored overlaps it:
    # then COPY can go straight into the table (the common case of importing new history).
    markets = set(map(_MARKET, chunk))
    times = list(map(_OPEN_TIME, chunk))
    if len(markets) != 1 or not all(map(lt, times, times[1:])):
        return False
    exchange, symbol, timeframe = markets.pop()
    cursor.execute(_OVERLAP, (exchange, symbol, timeframe, times[0], times[-1]))
    return cursor.fetchone() is None


def copy_ingest(driver: Any, chunk: Sequence[Candle]) -> int:
    """COPY the chunk in on a psycopg connection (inside its transaction); return rows new."""
    with driver.cursor() as cursor:
        if _fresh_range(cursor, chunk):
            try:
                # A savepoint: a concurrent writer of the same range makes COPY fail on the
                # primary key, and the merge below then sorts out who was first.
                with driver.transaction(), cursor.copy(_COPY_DIRECT) as copy:
                    _copy_rows(copy, chunk)
                return len(chunk)
            except psycopg.errors.UniqueViolation:
                pass
        # Session-scoped, emptied at each commit: a pooled connection creates it once.
        cursor.execute(_CREATE_LOAD)
        with cursor.copy(_COPY_LOAD) as copy:
            _copy_rows(copy, chunk)
        cursor.execute(_MERGE_LOAD)
        return int(cursor.rowcount)


def sqlite_ingest(driver: Any, chunk: Sequence[Candle]) -> int:
    """Insert the chunk with executemany on a sqlite3 connection; return rows new."""
    cursor = driver.cursor()
    try:
        before = driver.total_changes
        cursor.executemany(
            _SQLITE_INSERT,
            [
                (
                    candle.exchange,
                    candle.symbol,
                    candle.timeframe,
                    candle.open_time_ms,
                    decimal_str(candle.open),
                    decimal_str(candle.high),
                    decimal_str(candle.low),
                    decimal_str(candle.close),
                    decimal_str(candle.volume),
                    int(candle.synthetic),
                )
                for candle in chunk
            ],
        )
        return int(driver.total_changes - before)
    finally:
        cursor.close()


class _RawArray(Loader):
    # Hand a binary array value over untouched, for numpy to parse.
    format = Format.BINARY

    def load(self, data: Any) -> bytes:
        return bytes(data)


def array_read(driver: Any, key: MarketKey, start_ms: int, end_ms: int) -> list[np.ndarray]:
    """Return the range's six columns (unordered) from PostgreSQL as numpy arrays."""
    with driver.cursor(binary=True) as cursor:
        cursor.adapters.register_loader(_INT8_ARRAY, _RawArray)
        cursor.adapters.register_loader(_FLOAT8_ARRAY, _RawArray)
        cursor.execute(_READ_ARRAYS, (key.exchange, key.symbol, key.timeframe, start_ms, end_ms))
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return list(empty_arrays().values())
    columns = []
    for index, raw in enumerate(row):
        # Each element: a 4-byte length, then the 8-byte big-endian value.
        element = np.dtype([("length", ">i4"), ("value", ">i8" if index == 0 else ">f8")])
        count = (len(raw) - _ARRAY_HEADER) // element.itemsize
        values = np.frombuffer(raw, dtype=element, count=count, offset=_ARRAY_HEADER)["value"]
        columns.append(values.astype(np.int64 if index == 0 else np.float64))
    return columns


def empty_arrays() -> dict[str, np.ndarray]:
    """Return the columns of an empty range."""
    return {
        name: np.empty(0, np.int64 if name == "open_time" else np.float64) for name in FRAME_COLUMNS
    }


def sqlite_read(driver: Any, key: MarketKey, start_ms: int, end_ms: int) -> dict[str, np.ndarray]:
    """Return the range's columns from SQLite as numpy arrays, oldest first."""
    cursor = driver.cursor()
    try:
        cursor.execute(_SQLITE_READ, (key.exchange, key.symbol, key.timeframe, start_ms, end_ms))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return empty_arrays()
    times = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    values = np.array([row[1:] for row in rows], dtype=np.float64)
    result = {"open_time": times}
    for index, name in enumerate(FRAME_COLUMNS[1:]):
        result[name] = np.ascontiguousarray(values[:, index])
    return result
