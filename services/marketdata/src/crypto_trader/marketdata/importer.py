"""Import candle and trade files into the store (``ct data import`` and the "file" source)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from crypto_trader.common.database import make_engine, migrate
from crypto_trader.marketdata.adapters.candle_files import read_candle_file
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.adapters.trade_files import read_trade_file
from crypto_trader.marketdata.adapters.trade_store import SqlAlchemyTradeStore
from crypto_trader.marketdata.domain.import_report import ImportReport, TradeImportReport

MIGRATIONS_DIR = Path(__file__).parent / "adapters" / "migrations"
VERSION_TABLE = "marketdata_alembic_version"

Progress = Callable[[int, int], None]

__all__ = [
    "ImportReport",
    "TradeImportReport",
    "import_candle_file",
    "import_into_store",
    "import_trade_file",
    "import_trades_into_store",
    "migrate_database",
    "migrate_store",
]


def migrate_database(database_url: str) -> Engine:
    """Open the database, bring the service's tables up to date and return the engine on it."""
    engine = make_engine(database_url)
    migrate(engine, MIGRATIONS_DIR, version_table=VERSION_TABLE)
    return engine


def migrate_store(database_url: str) -> SqlAlchemyCandleStore:
    """Open the database, bring the service's tables up to date and return the store on it."""
    return SqlAlchemyCandleStore(migrate_database(database_url))


def import_into_store(
    store: SqlAlchemyCandleStore,
    path: Path,
    *,
    exchange: str,
    symbol: str,
    timeframe: str,
    progress: Progress | None = None,
) -> ImportReport:
    """Read, validate and store a candle file; candles already stored are kept as they are.

    ``progress(done, total)`` is called after each stored chunk, counting valid candles.

    Raises
    ------
    InvalidInput
        When the market is malformed, or the file is missing, of an unknown format or lacks columns.
    """
    contents = read_candle_file(path, exchange=exchange, symbol=symbol, timeframe=timeframe)
    total = len(contents.candles)
    done = 0

    def on_chunk(_new: int, rows: int) -> None:
        nonlocal done
        done += rows
        if progress is not None:
            progress(done, total)

    stored = store.add_candles(contents.candles, on_chunk=on_chunk)
    if progress is not None and total == 0:
        progress(0, 0)
    return ImportReport(
        path=str(path),
        rows_read=contents.rows_read,
        stored=stored,
        duplicates_skipped=contents.duplicates + (total - stored),
        rejected=dict(sorted(contents.rejected.items())),
        first_open_time_ms=contents.candles[0].open_time_ms if contents.candles else None,
        last_open_time_ms=contents.candles[-1].open_time_ms if contents.candles else None,
    )


def import_candle_file(
    database_url: str,
    path: Path,
    *,
    exchange: str,
    symbol: str,
    timeframe: str,
    progress: Progress | None = None,
) -> ImportReport:
    """Import a candle file into the market data store at ``database_url`` (migrating it first).

    Importing the same file twice stores nothing the second time: every candle is written once per
    (exchange, symbol, timeframe, open time).

    Raises
    ------
    InvalidInput
        When the market is malformed, or the file is missing, of an unknown format or lacks columns.
    """
    store = migrate_store(database_url)
    try:
        return import_into_store(
            store, path, exchange=exchange, symbol=symbol, timeframe=timeframe, progress=progress
        )
    finally:
        store.dispose()


def import_trades_into_store(
    store: SqlAlchemyTradeStore, path: Path, *, exchange: str, symbol: str
) -> TradeImportReport:
    """Read, validate and store a trade file; trades already stored are kept as they are.

    Raises
    ------
    InvalidInput
        When the market is malformed, or the file is missing, of an unknown format or lacks columns.
    """
    contents = read_trade_file(path, exchange=exchange, symbol=symbol)
    stored = store.add_trades(contents.trades)
    return TradeImportReport(
        path=str(path),
        rows_read=contents.rows_read,
        stored=stored,
        duplicates_skipped=contents.duplicates + (len(contents.trades) - stored),
        rejected=dict(sorted(contents.rejected.items())),
        first_ts_ms=contents.trades[0].ts_event if contents.trades else None,
        last_ts_ms=contents.trades[-1].ts_event if contents.trades else None,
    )


def import_trade_file(
    database_url: str, path: Path, *, exchange: str, symbol: str
) -> TradeImportReport:
    """Import a trade file into the market data store at ``database_url`` (migrating it first).

    Each trade is written once per (exchange, symbol, trade id): a second import stores nothing.

    Raises
    ------
    InvalidInput
        When the market is malformed, or the file is missing, of an unknown format or lacks columns.
    """
    engine = migrate_database(database_url)
    try:
        return import_trades_into_store(
            SqlAlchemyTradeStore(engine), path, exchange=exchange, symbol=symbol
        )
    finally:
        engine.dispose()
