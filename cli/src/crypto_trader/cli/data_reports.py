"""`ct data list` and `ct data check`: stored coverage with gaps, and malformed-data reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from crypto_trader.cli.data_import import EXIT_USAGE, database_url
from crypto_trader.common.errors import CryptoTraderError

if TYPE_CHECKING:
    from crypto_trader.marketdata.domain.gaps import Gap

EXIT_PROBLEMS = 1
_MAX_GAPS_SHOWN = 3


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _gap_text(gaps: Sequence[Gap], limit: int = _MAX_GAPS_SHOWN) -> str:
    if not gaps:
        return "-"
    longest = sorted(gaps, key=lambda gap: gap.missing, reverse=True)[:limit]
    shown = ", ".join(
        f"{_utc(gap.previous_open_ms)}→{_utc(gap.next_open_ms)} ({gap.missing})" for gap in longest
    )
    more = len(gaps) - len(longest)
    return shown + (f" +{more} more" if more else "")


def list_data(*, data_dir: Path, exchange: str | None, console: Console) -> int:
    """Print a table of every stored market, its range, count and gaps; return the exit code."""
    # Imported here: the other commands must work where the market data service is not installed.
    from crypto_trader.marketdata.importer import migrate_store
    from crypto_trader.marketdata.reports import list_coverage

    try:
        store = migrate_store(database_url(data_dir))
        try:
            markets = list_coverage(store, exchange)
        finally:
            store.dispose()
    except (OSError, SQLAlchemyError) as error:
        console.print(f"[red]error:[/] cannot read the store: {escape(str(error))}")
        return EXIT_PROBLEMS
    if not markets:
        console.print("The store holds no candles.", markup=False)
        return 0
    table = Table(title="Stored candles (UTC)")
    for column in ("market", "from", "to", "candles", "gaps", "missing"):
        table.add_column(column, justify="left" if column in ("market", "from", "to") else "right")
    for market in markets:
        coverage = market.coverage
        table.add_row(
            escape(str(coverage.key)) + (" (synthetic)" if coverage.synthetic else ""),
            _utc(coverage.first_open_time_ms),
            _utc(coverage.last_open_time_ms),
            f"{coverage.candle_count:,}",
            str(len(market.gaps)),
            f"{market.missing:,}",
        )
    console.print(table)
    for market in markets:
        if market.gaps:
            console.print(
                f"{market.coverage.key} longest gaps (last candle → next candle, missing): "
                + _gap_text(market.gaps),
                highlight=False,
                markup=False,
            )
    if any(market.gaps for market in markets):
        console.print(
            "Fill gaps from the exchange: ct data download --since DATE --symbol SYMBOL "
            "--timeframe TF --repair-gaps",
            highlight=False,
            markup=False,
        )
    return 0


def check_data(
    *,
    file: Path | None,
    stored: bool,
    exchange: str,
    symbol: str,
    timeframe: str,
    data_dir: Path,
    console: Console,
) -> int:
    """Print the malformed-data report of a file or of the store; exit 1 when anything is wrong."""
    from crypto_trader.marketdata import reports

    if (file is None) == (not stored):
        console.print("[red]error:[/] give either a FILE or --stored", highlight=False)
        return EXIT_USAGE
    try:
        if file is not None:
            results = [
                reports.check_file(file, exchange=exchange, symbol=symbol, timeframe=timeframe)
            ]
        else:
            from crypto_trader.marketdata.importer import migrate_store

            store = migrate_store(database_url(data_dir))
            try:
                results = reports.check_stored(store)
            finally:
                store.dispose()
    except CryptoTraderError as error:
        console.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        return EXIT_USAGE
    except (OSError, SQLAlchemyError) as error:
        console.print(f"[red]error:[/] cannot read the store: {escape(str(error))}")
        return EXIT_PROBLEMS
    problems = False
    for result in results:
        report = result.report
        problems = problems or not report.clean
        table = Table(title=escape(f"{result.key}: {report.rows:,} rows checked"))
        table.add_column("outcome")
        table.add_column("reason")
        table.add_column("rows", justify="right")
        for reason, count in report.rejected.items():
            table.add_row("[red]rejected[/]", escape(reason), f"{count:,}")
        for reason, count in report.repaired.items():
            table.add_row("[yellow]repaired[/]", escape(reason), f"{count:,}")
        if report.clean:
            table.add_row("[green]clean[/]", "no malformed rows", "0")
        console.print(table)
        console.print(
            f"gaps: {len(result.gaps)} ({sum(gap.missing for gap in result.gaps):,} candles "
            f"missing) {_gap_text(result.gaps)}",
            highlight=False,
            markup=False,
        )
    return EXIT_PROBLEMS if problems else 0
