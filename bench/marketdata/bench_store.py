"""Benchmark the candle store: bulk ingest against raw psycopg COPY, and loading candles into numpy.

Run: ``.venv/bin/python bench/marketdata/bench_store.py --rows 200000 [--load-rows 1000000]``.
Needs the PostgreSQL server the tests use (CT_TEST_POSTGRES_URL); each run gets fresh databases.
The raw COPY writes the same columns into the same migrated table as the store, so PostgreSQL
computes the stored float8 price copies for both; the load figures are set against the read that
casts NUMERIC to float8 on every call (the store's read before migration 0002), measured alongside.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from operator import attrgetter

import psycopg
from alembic import command
from alembic.config import Config
from rich.console import Console
from rich.table import Table

from crypto_trader.common import testing
from crypto_trader.common.database import make_engine
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.importer import MIGRATIONS_DIR, VERSION_TABLE, migrate_store

START_MS = 1_577_836_800_000  # 2020-01-01 00:00 UTC
STEP_MS = 60_000
INGEST_KEY = MarketKey("binance", "BTC/USDT", "1m")
LOAD_KEY = MarketKey("binance", "ETH/USDT", "1m")
REPEATS = 3
COLUMNS = "exchange, symbol, timeframe, open_time_ms, open, high, low, close, volume, synthetic"
ROW = attrgetter(*COLUMNS.split(", "))
# The store's aggregation on one connection, over the float copies and (as the store read before
# migration 0002) casting on every call: what the copies save, apart from the parallel split.
ONE_CONNECTION_READS = {
    "float copies": "array_agg(open_float), array_agg(high_float), array_agg(low_float), "
    "array_agg(close_float), array_agg(volume_float)",
    "cast per read": "array_agg(open::float8), array_agg(high::float8), array_agg(low::float8), "
    "array_agg(close::float8), array_agg(volume::float8)",
}


def make_candles(key: MarketKey, count: int) -> list[Candle]:
    """Build consecutive 1m candles with realistic decimals (two places, eight for volume)."""
    candles = []
    price = Decimal("29000.00")
    for index in range(count):
        move = Decimal((index * 7919) % 201 - 100) / 100
        close = price + move
        candles.append(
            Candle(
                key.exchange,
                key.symbol,
                key.timeframe,
                START_MS + index * STEP_MS,
                price,
                max(price, close) + Decimal("1.25"),
                min(price, close) - Decimal("0.75"),
                close,
                Decimal(index % 997) / Decimal(1000) + Decimal("0.00012345"),
            )
        )
        price = close
    return candles


def raw_copy(url: str, candles: list[Candle]) -> None:
    """COPY the candles straight into the table with psycopg: the ceiling for ingest."""
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY marketdata_candles ({COLUMNS}) FROM STDIN") as copy:
            # The same C-speed row building the store uses: a fair ceiling.
            for row in map(ROW, candles):
                copy.write_row(row)


def raw_copy_text(url: str, key: MarketKey, count: int) -> None:
    """Fill a market quickly with text rows (for the load benchmark only)."""
    with psycopg.connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY marketdata_candles ({COLUMNS}) FROM STDIN") as copy:
            for index in range(count):
                price = 1000 + (index * 7919) % 2000 / 100
                copy.write(
                    f"{key.exchange}\t{key.symbol}\t{key.timeframe}\t{START_MS + index * STEP_MS}"
                    f"\t{price:.2f}\t{price + 1:.2f}\t{price - 1:.2f}\t{price + 0.5:.2f}"
                    f"\t{index % 997 / 1000 + 0.00012345:.8f}\tf\n"
                )


def migrate_to(url: str, revision: str) -> None:
    """Bring a database to one migration revision (the store itself always goes to the newest)."""
    engine = make_engine(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            config.attributes["version_table"] = VERSION_TABLE
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def one_connection_read(url: str, key: MarketKey, prices: str) -> None:
    """Aggregate the market's columns on one connection (no parallel split)."""
    query = (
        f"SELECT array_agg(open_time_ms), {prices} FROM marketdata_candles "  # noqa: S608
        "WHERE exchange = %s AND symbol = %s AND timeframe = %s"
    )
    with psycopg.connect(url) as connection, connection.cursor(binary=True) as cursor:
        cursor.execute(query, (key.exchange, key.symbol, key.timeframe))
        cursor.fetchone()


def truncate(url: str) -> None:
    """Empty the candle table between repeats."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE marketdata_candles")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run(rows: int, load_rows: int, console: Console) -> dict[str, float]:
    """Measure everything on fresh databases and print the table; return the figures."""
    candles = make_candles(INGEST_KEY, rows)
    figures: dict[str, float] = {}
    with testing.postgres_database(testing.run_id()) as ingest_url:
        store = migrate_store(ingest_url)
        try:
            raw_runs, store_runs, merge_runs = [], [], []
            # Alternate on the same emptied table, best of three: the machine's noise hits both.
            for _ in range(REPEATS):
                truncate(ingest_url)
                raw_runs.append(timed(lambda: raw_copy(ingest_url, candles)))
                truncate(ingest_url)
                store_runs.append(timed(lambda: store.add_candles(candles)))
                truncate(ingest_url)
                # One stored row inside every chunk's range sends the whole batch through the
                # temporary table and INSERT ... ON CONFLICT DO NOTHING.
                store.add_candles(candles[len(candles) // 2 :: 50_000])
                merge_runs.append(timed(lambda: store.add_candles(candles)))
            figures["store_reingest_s"] = timed(lambda: store.add_candles(candles))
        finally:
            store.dispose()
    figures["raw_copy_s"] = min(raw_runs)
    figures["store_ingest_s"] = min(store_runs)
    figures["store_merge_s"] = min(merge_runs)
    with testing.postgres_database(testing.run_id()) as load_url:
        # Fill the table as migration 0001 left it, then time the upgrade that backfills the
        # float copies of every stored candle.
        migrate_to(load_url, "0001")
        raw_copy_text(load_url, LOAD_KEY, load_rows)
        figures["backfill_s"] = timed(lambda: migrate_store(load_url).dispose())
        with psycopg.connect(load_url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE marketdata_candles")
        store = migrate_store(load_url)
        try:
            loads, frames = [], []
            singles: dict[str, list[float]] = {name: [] for name in ONE_CONNECTION_READS}
            for _ in range(REPEATS):
                loads.append(timed(lambda: store.read_arrays(LOAD_KEY)))
                frames.append(timed(lambda: store.read_frame(LOAD_KEY)))
                for name, prices in ONE_CONNECTION_READS.items():
                    singles[name].append(
                        timed(lambda p=prices: one_connection_read(load_url, LOAD_KEY, p))
                    )
            loaded = len(store.read_arrays(LOAD_KEY)["close"])
        finally:
            store.dispose()
    figures["one_float_s"] = min(singles["float copies"])
    figures["one_cast_s"] = min(singles["cast per read"])
    figures["load_numpy_s"] = min(loads)
    figures["load_frame_s"] = min(frames)
    figures["loaded_rows"] = loaded
    raw_rate = rows / figures["raw_copy_s"]
    store_rate = rows / figures["store_ingest_s"]
    table = Table(
        title=f"marketdata candle store on PostgreSQL ({rows:,} ingest rows, best of {REPEATS})"
    )
    for column in ("measure", "value", "ratio / goal"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    table.add_row(
        "raw psycopg COPY into the store's table (exact NUMERIC + stored float8 copies)",
        f"{raw_rate:,.0f} rows/s",
        "100 %",
    )
    table.add_row(
        "store.add_candles into an empty range (direct COPY)",
        f"{store_rate:,.0f} rows/s",
        f"{store_rate / raw_rate:.0%} of raw (goal ≥ 80 %)",
    )
    merge_rate = rows / figures["store_merge_s"]
    table.add_row(
        "store.add_candles over a range with stored rows (merge path)",
        f"{merge_rate:,.0f} rows/s",
        f"{merge_rate / raw_rate:.0%} of raw",
    )
    table.add_row(
        "store.add_candles again (all duplicates)",
        f"{rows / figures['store_reingest_s']:,.0f} rows/s",
        "stores 0",
    )
    table.add_row(
        f"read_arrays: {loaded:,} candles → numpy",
        f"{figures['load_numpy_s']:.3f} s",
        f"{figures['load_numpy_s'] * 1_000_000 / max(loaded, 1):.3f} s per 1M (goal < 1 s)",
    )
    table.add_row(
        f"read_frame: {loaded:,} candles → DataFrame",
        f"{figures['load_frame_s']:.3f} s",
        "",
    )
    table.add_row(
        "one connection, aggregating the stored float8 copies",
        f"{figures['one_float_s']:.3f} s",
        f"{figures['one_float_s'] / figures['one_cast_s']:.0%} of casting",
    )
    table.add_row(
        "one connection, casting NUMERIC → float8 on every read (before 0002)",
        f"{figures['one_cast_s']:.3f} s",
        "100 %",
    )
    table.add_row(
        f"migration 0002 backfilling the float copies of {loaded:,} stored candles",
        f"{figures['backfill_s']:.3f} s",
        "once",
    )
    console.print(table)
    figures["store_vs_raw"] = store_rate / raw_rate
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="candles to ingest")
    parser.add_argument("--load-rows", type=int, default=1_000_000, help="candles to load")
    args = parser.parse_args(argv)
    if not testing.postgres_available():
        print("PostgreSQL does not answer (set CT_TEST_POSTGRES_URL)", file=sys.stderr)  # noqa: T201
        return 2
    run(args.rows, args.load_rows, Console())
    return 0


if __name__ == "__main__":
    sys.exit(main())
