"""`ct data import`: load a candle or trade file into the market data store."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from crypto_trader.common.errors import CryptoTraderError, InvalidInput
from crypto_trader.common.model import Timeframe, validate_symbol
from crypto_trader.common.settings import InfraSettings

EXIT_USAGE = 2


def database_url(data_dir: Path, environ: Mapping[str, str] = os.environ) -> str:
    """Return CT_DATABASE_URL, or the market data service's own SQLite file under the data dir."""
    configured = environ.get("CT_DATABASE_URL")
    if configured:
        return configured
    return InfraSettings(data_dir=data_dir.resolve()).database_url_for("marketdata")


def is_trade_file(path: Path) -> bool:
    """Tell whether a file holds trades by its name, as freqtrade's ``XRP_ETH-trades.*``."""
    return path.name.split(".", 1)[0].lower().endswith("trades")


def _check_arguments(path: Path, *, exchange: str, symbol: str, timeframe: str) -> str | None:
    if not path.is_file():
        return f"no such file: {path}"
    if not exchange.strip():
        return "--exchange must not be empty"
    try:
        validate_symbol(symbol)
        Timeframe(timeframe)
    except InvalidInput as error:
        return str(error)
    return None


def import_file(
    path: Path,
    *,
    exchange: str,
    symbol: str,
    timeframe: str,
    data_dir: Path,
    console: Console,
) -> int:
    """Import the file, showing progress, and print a summary; return the exit code."""
    problem = _check_arguments(path, exchange=exchange, symbol=symbol, timeframe=timeframe)
    if problem is not None:
        console.print(f"[red]error:[/] {escape(problem)}", highlight=False)
        return EXIT_USAGE
    # Imported here: the other commands must work where the market data service is not installed.
    from crypto_trader.marketdata.importer import import_candle_file

    columns = (
        TextColumn(f"importing {escape(path.name)}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as progress:
        task = progress.add_task("import", total=None)

        def report_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            report = import_candle_file(
                database_url(data_dir),
                path,
                exchange=exchange,
                symbol=symbol,
                timeframe=timeframe,
                progress=report_progress,
            )
        except CryptoTraderError as error:
            console.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
            return EXIT_USAGE
        except (OSError, SQLAlchemyError) as error:
            console.print(
                f"[red]error:[/] cannot import into the store: {escape(str(error))}",
                highlight=False,
            )
            return 1
    _print_summary(
        console,
        f"{exchange} {symbol} {timeframe} from {path.name}",
        report,
        ("candles", report.first_open_time_ms, report.last_open_time_ms),
    )
    return 0


def _print_summary(
    console: Console, source: str, report: Any, span: tuple[str, int | None, int | None]
) -> None:
    # ``report``: an import report of candles or trades (the same counts, their own time span).
    console.print(
        f"{source}: read {report.rows_read}, stored {report.stored}, "
        f"duplicates {report.duplicates_skipped}, rejected {report.rejected_total}",
        highlight=False,
        markup=False,
    )
    for reason, count in report.rejected.items():
        console.print(f"  rejected {count}: {reason}", highlight=False, markup=False)
    what, first_ms, last_ms = span
    if first_ms is not None and last_ms is not None:
        console.print(f"  {what} from {_utc(first_ms)} to {_utc(last_ms)}", highlight=False)


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def import_trades(
    path: Path,
    *,
    exchange: str,
    symbol: str,
    data_dir: Path,
    console: Console,
) -> int:
    """Import a trade file and print a summary; return the exit code."""
    problem = _check_arguments(path, exchange=exchange, symbol=symbol, timeframe="1m")
    if problem is not None:
        console.print(f"[red]error:[/] {escape(problem)}", highlight=False)
        return EXIT_USAGE
    from crypto_trader.marketdata.importer import import_trade_file

    try:
        with console.status(f"importing trades from {escape(path.name)}"):
            report = import_trade_file(
                database_url(data_dir), path, exchange=exchange, symbol=symbol
            )
    except CryptoTraderError as error:
        console.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        return EXIT_USAGE
    except (OSError, SQLAlchemyError) as error:
        console.print(
            f"[red]error:[/] cannot import into the store: {escape(str(error))}", highlight=False
        )
        return 1
    _print_summary(
        console,
        f"{exchange} {symbol} trades from {path.name}",
        report,
        ("trades", report.first_ts_ms, report.last_ts_ms),
    )
    return 0
