"""`ct data download` and `ct data export`: candles from an exchange into the store, and out."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from crypto_trader.cli.data_import import EXIT_USAGE, database_url
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.errors import CryptoTraderError, InvalidInput, RetryableError
from crypto_trader.common.model import Candle, decimal_str

if TYPE_CHECKING:
    from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
    from crypto_trader.marketdata.domain.gap_repair import OpenTimeRange
    from crypto_trader.marketdata.domain.market import MarketKey
    from crypto_trader.marketdata.feed import CandleSource
    from crypto_trader.marketdata.repair import RepairReport

EXPORT_FORMATS = ("csv", "parquet", "json")
CSV_HEADER = ("open_time", "open", "high", "low", "close", "volume")
# Candles asked per request: every exchange of the profile table serves at least this many.
_PAGE = 500
# Ranges without exchange data listed per market; the rest are counted.
_OUTAGES_SHOWN = 5


def parse_time_ms(text: str) -> int:
    """Read a UTC date or date-time (``2024-01-01``, ``2024-01-01T12:00``) or epoch ms."""
    stripped = text.strip()
    if stripped.isdigit():
        return int(stripped)
    try:
        moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"not a date: {text!r}; use YYYY-MM-DD[THH:MM] (UTC)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _error(console: Console, message: str) -> None:
    console.print(f"[red]error:[/] {escape(message)}", highlight=False)


# ----------------------------------------------------------------------------------- download


def download(
    *,
    exchange: str,
    symbols: Sequence[str],
    timeframe: str,
    since: str,
    until: str | None,
    data_dir: Path,
    console: Console,
    api_base_url: str | None = None,
    repair_gaps: bool = False,
    retry_outages: bool = False,
) -> int:
    """Download closed candles of each market into the store, resuming after the last stored one.

    With ``repair_gaps`` the holes of the stored range from ``since`` on are fetched too; ranges
    the exchange has no candles in are reported and remembered, so later runs skip them, unless
    ``retry_outages`` forgets them first (an exchange may publish late corrections).
    Returns the exit code: 2 for bad arguments or an exchange that cannot be reached.
    """
    from crypto_trader.marketdata.domain.market import MarketKey

    try:
        keys = [MarketKey.parse(exchange, symbol, timeframe) for symbol in symbols]
        since_ms = parse_time_ms(since)
        until_ms = None if until is None else parse_time_ms(until)
    except InvalidInput as error:
        _error(console, str(error))
        return EXIT_USAGE
    try:
        totals, repairs = asyncio.run(
            _download(
                keys,
                since_ms,
                until_ms,
                data_dir,
                console,
                api_base_url=api_base_url,
                repair_gaps=repair_gaps or retry_outages,
                retry_outages=retry_outages,
            )
        )
    except RetryableError as error:
        _error(console, f"cannot reach {exchange}: {error}")
        return EXIT_USAGE
    except CryptoTraderError as error:
        _error(console, str(error))
        return EXIT_USAGE
    except (OSError, SQLAlchemyError) as error:
        _error(console, f"cannot write the store: {error}")
        return 1
    for key, (stored, last_ms) in totals.items():
        until_text = "nothing stored" if last_ms is None else f"stored up to {_utc(last_ms)}"
        console.print(f"{key}: {stored} new candles, {until_text}", highlight=False, markup=False)
    for report in repairs:
        _print_repair(report, console)
    return 0


async def _download(
    keys: Sequence[MarketKey],
    since_ms: int,
    until_ms: int | None,
    data_dir: Path,
    console: Console,
    *,
    api_base_url: str | None,
    repair_gaps: bool,
    retry_outages: bool = False,
) -> tuple[dict[str, tuple[int, int | None]], list[RepairReport]]:
    from crypto_trader.marketdata.adapters.exchanges import CcxtExchange
    from crypto_trader.marketdata.importer import migrate_store

    store = await asyncio.to_thread(migrate_store, database_url(data_dir))
    exchange = CcxtExchange(
        keys[0].exchange, clock=LiveClock(), api_base_url=api_base_url, timeout_seconds=10
    )
    totals: dict[str, tuple[int, int | None]] = {}
    repairs: list[RepairReport] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(
            *columns, console=console, transient=True, disable=not console.is_terminal
        ) as progress:
            for key in keys:
                latest = await asyncio.to_thread(store.latest_candle, key)
                step = key.timeframe_ms
                # Resume after the newest stored candle: nothing is fetched twice.
                start = since_ms if latest is None else max(since_ms, latest.open_time_ms + step)
                end = until_ms if until_ms is not None else exchange.now_ms()
                task = progress.add_task(f"{key}", total=max(0, (end - start) // step), completed=0)
                stored = 0
                while start < end:
                    batch = await exchange.fetch_candles(
                        key.symbol, key.timeframe, since_ms=start, limit=_PAGE
                    )
                    candles = [c for c in batch.closed if start <= c.open_time_ms < end]
                    if not candles:
                        break
                    stored += await asyncio.to_thread(store.add_candles, candles)
                    start = candles[-1].open_time_ms + step
                    progress.update(task, advance=len(candles))
                newest = await asyncio.to_thread(store.latest_candle, key)
                totals[str(key)] = (stored, None if newest is None else newest.open_time_ms)
                if repair_gaps:
                    if retry_outages:
                        await asyncio.to_thread(store.forget_outages, key)
                    repairs.append(await _repair(store, exchange, key, since_ms, end, progress))
    finally:
        await exchange.close()
        store.dispose()
    return totals, repairs


async def _repair(
    store: SqlAlchemyCandleStore,
    exchange: CandleSource,
    key: MarketKey,
    since_ms: int,
    until_ms: int,
    progress: Progress,
) -> RepairReport:
    from crypto_trader.marketdata.repair import plan_market_repair, repair_gaps

    plan = await plan_market_repair(store, key, since_ms=since_ms, until_ms=until_ms)
    total = sum(found.candles(key.timeframe_ms) for found in plan.to_fetch)
    task = progress.add_task(f"{key} gaps", total=total, completed=0)

    def advance(done: int) -> None:
        progress.update(task, advance=done)

    return await repair_gaps(store, exchange, key, plan, page=_PAGE, on_progress=advance)


def _print_repair(report: RepairReport, console: Console) -> None:
    plan = report.plan
    lines = [
        f"{report.key}: {len(plan.holes)} gaps ({report.candles(plan.holes)} candles missing), "
        f"{report.stored} candles repaired"
    ]
    if report.no_data:
        lines.append(
            f"{report.key}: exchange has no data for {_ranges_text(report, report.no_data)}; "
            "remembered, not asked for again"
        )
    if plan.known_empty:
        lines.append(
            f"{report.key}: exchange has no data for {_ranges_text(report, plan.known_empty)}"
            "; known from an earlier run, not asked for"
        )
    for line in lines:
        console.print(line, highlight=False, markup=False)


def _ranges_text(report: RepairReport, ranges: Sequence[OpenTimeRange]) -> str:
    step = report.key.timeframe_ms
    shown = [
        f"{_utc(found.start_ms)} → {_utc(found.end_ms - step)} ({found.candles(step)})"
        for found in ranges[:_OUTAGES_SHOWN]
    ]
    more = len(ranges) - len(shown)
    suffix = f" and {more} more ranges" if more > 0 else ""
    return f"{report.candles(ranges)} candles: {', '.join(shown)}{suffix}"


# ------------------------------------------------------------------------------------- export


def export(
    *,
    exchange: str,
    symbol: str,
    timeframe: str,
    since: str | None,
    until: str | None,
    file_format: str,
    out: Path,
    data_dir: Path,
    console: Console,
) -> int:
    """Write the stored candles of one market to a CSV, parquet or freqtrade JSON file."""
    from crypto_trader.marketdata.domain.market import MarketKey
    from crypto_trader.marketdata.importer import migrate_store

    if file_format not in EXPORT_FORMATS:
        _error(console, f"unknown format {file_format!r}; use {', '.join(EXPORT_FORMATS)}")
        return EXIT_USAGE
    try:
        key = MarketKey.parse(exchange, symbol, timeframe)
        start = 0 if since is None else parse_time_ms(since)
        end = None if until is None else parse_time_ms(until)
    except InvalidInput as error:
        _error(console, str(error))
        return EXIT_USAGE
    store = migrate_store(database_url(data_dir))
    try:
        if not store.has_candles(key):
            _error(console, f"no stored candles of {key}")
            return EXIT_USAGE
        candles = store.read_candles(key, start_ms=start, end_ms=end)
    finally:
        store.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    writers = {"csv": _write_csv, "json": _write_json, "parquet": _write_parquet}
    writers[file_format](candles, out)
    console.print(f"{key}: exported {len(candles)} candles to {out}", highlight=False, markup=False)
    return 0


def _write_csv(candles: Sequence[Candle], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CSV_HEADER)
        for candle in candles:
            writer.writerow([candle.open_time_ms, *_prices(candle)])


def _write_json(candles: Sequence[Candle], out: Path) -> None:
    # freqtrade's layout: an array of [open_time_ms, o, h, l, c, v]. Numbers are written as the
    # exact decimal text (json.dumps would go through float).
    rows = (f"[{candle.open_time_ms},{','.join(_prices(candle))}]" for candle in candles)
    out.write_text("[" + ",\n".join(rows) + "]\n", encoding="utf-8")
    json.loads(out.read_text(encoding="utf-8"))  # the file must be valid JSON


def _write_parquet(candles: Sequence[Candle], out: Path) -> None:
    import pyarrow as pa
    from pyarrow import parquet as pq

    # Float columns, as freqtrade and pandas write them; the importer reads them back to 15
    # significant digits, which every exchange price and volume fits in.
    columns: dict[str, list[object]] = {"open_time": [c.open_time_ms for c in candles]}
    for index, name in enumerate(CSV_HEADER[1:]):
        columns[name] = [float(_prices(c)[index]) for c in candles]
    schema = pa.schema([("open_time", pa.int64())] + [(n, pa.float64()) for n in CSV_HEADER[1:]])
    pq.write_table(pa.table(columns, schema=schema), out)


def _prices(candle: Candle) -> list[str]:
    return [
        decimal_str(value)
        for value in (candle.open, candle.high, candle.low, candle.close, candle.volume)
    ]


def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
