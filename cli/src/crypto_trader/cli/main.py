"""The `ct` command line: `ct up`, `ct run <service>`, `ct status`, `ct data import`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from crypto_trader.cli import data_import, data_reports, data_transfer
from crypto_trader.cli.backtest import backtest_command
from crypto_trader.cli.optimise import optimise_command
from crypto_trader.cli.services import MODULES, PROCESSES, command, parse_names
from crypto_trader.cli.state_file import pid_alive, read_state, state_path
from crypto_trader.cli.up import EXIT_USAGE, UpOptions, run_up

app = typer.Typer(
    name="ct",
    help="Crypto Trader: run the whole platform locally, one service, or import market data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Market data in the local store.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.command("backtest")(backtest_command)
app.command("optimise")(optimise_command)

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="Where state, logs and SQLite files live.")
]


def _fail(console: Console, message: str) -> typer.Exit:
    console.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_USAGE)


@app.command()
def up(
    data_dir: DataDir = Path("var"),
    gateway_port: Annotated[int, typer.Option(help="HTTP port of the gateway and web app.")] = 8000,
    grpc_port_base: Annotated[
        int, typer.Option(help="gRPC port of marketdata; the other services follow it.")
    ] = 50051,
    metrics_port_base: Annotated[
        int, typer.Option(help="First Prometheus metrics port (0 = no metrics endpoints).")
    ] = 9101,
    nats_port: Annotated[
        int, typer.Option(help="Port of the embedded NATS server (unless CT_NATS_URL is set).")
    ] = 14222,
    redis_port: Annotated[
        int, typer.Option(help="Port of the embedded Redis server (unless CT_REDIS_URL is set).")
    ] = 16379,
    only: Annotated[
        str | None,
        typer.Option(help=f"Comma-separated processes to start (of {', '.join(PROCESSES)})."),
    ] = None,
) -> None:
    """Start NATS, Redis and every service as supervised processes, until Ctrl-C."""
    console = Console(soft_wrap=True)
    try:
        names = parse_names(only) if only is not None else PROCESSES
    except ValueError as error:
        raise _fail(console, str(error)) from None
    options = UpOptions(
        data_dir=data_dir,
        gateway_port=gateway_port,
        grpc_port_base=grpc_port_base,
        metrics_port_base=metrics_port_base,
        nats_port=nats_port,
        redis_port=redis_port,
        only=names,
    )
    raise typer.Exit(run_up(options, console))


@app.command()
def run(service: Annotated[str, typer.Argument(help=f"One of: {', '.join(PROCESSES)}.")]) -> None:
    """Run one service in the foreground, configured by CT_* environment variables."""
    if service not in MODULES:
        raise _fail(
            Console(stderr=True, soft_wrap=True),
            f"unknown service {service!r}; valid: {', '.join(PROCESSES)}",
        )
    argv = command(service)
    sys.stdout.flush()
    os.execv(argv[0], argv)  # noqa: S606 - replaces this process with the service, by design


@app.command()
def status(data_dir: DataDir = Path("var")) -> None:
    """Show the processes `ct up` supervises for this data directory."""
    console = Console(soft_wrap=True)
    path = state_path(data_dir.resolve())
    try:
        state = read_state(path)
    except ValueError as error:
        raise _fail(console, f"{path}: {error}") from None
    if state is None:
        console.print(f"The platform is not running (no state file at {path}).", markup=False)
        raise typer.Exit(1)
    if not pid_alive(state.supervisor_pid):
        console.print(
            f"The platform is not running: supervisor pid {state.supervisor_pid} is gone "
            f"(stale state file {path}).",
            markup=False,
        )
        raise typer.Exit(1)
    table = Table(title=escape(f"ct up (pid {state.supervisor_pid})  {state.gateway_url or ''}"))
    for column in ("service", "pid", "alive", "restarts", "up for"):
        table.add_column(column)
    now_ms = time.time_ns() // 1_000_000
    for name, service in state.services.items():
        alive = pid_alive(service.pid)
        table.add_row(
            escape(name),
            str(service.pid or "-"),
            "[green]yes[/]" if alive else "[red]no[/]",
            str(service.restarts),
            _duration(now_ms - service.started_ms) if alive and service.started_ms else "-",
        )
    console.print(table)
    console.print(f"NATS {state.nats_url}   Redis {state.redis_url}", markup=False)


def _duration(ms: int) -> str:
    seconds = max(0, ms // 1000)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


@data_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="A candle or trade file (CSV, JSON, feather, parquet).")
    ],
    exchange: Annotated[str, typer.Option(help="Exchange the data comes from.")] = "binance",
    symbol: Annotated[str, typer.Option(help="Market, as BASE/QUOTE.")] = "BTC/USDT",
    timeframe: Annotated[str, typer.Option(help="Candle length, e.g. 1m, 5m, 1h.")] = "5m",
    trades: Annotated[
        bool | None,
        typer.Option(
            "--trades/--candles",
            help="What the file holds (default: trades when its name ends in 'trades').",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = Path("var"),
) -> None:
    """Import a candle or trade file into the market data store."""
    console = Console(soft_wrap=True)
    if trades is None:
        trades = data_import.is_trade_file(file)
    if trades:
        raise typer.Exit(
            data_import.import_trades(
                file, exchange=exchange, symbol=symbol, data_dir=data_dir, console=console
            )
        )
    code = data_import.import_file(
        file,
        exchange=exchange,
        symbol=symbol,
        timeframe=timeframe,
        data_dir=data_dir,
        console=console,
    )
    raise typer.Exit(code)


@data_app.command("list")
def list_(
    exchange: Annotated[str | None, typer.Option(help="Only this exchange.")] = None,
    data_dir: DataDir = Path("var"),
) -> None:
    """Show every stored market: range, candle count and gaps."""
    console = Console(soft_wrap=True)
    raise typer.Exit(data_reports.list_data(data_dir=data_dir, exchange=exchange, console=console))


@data_app.command("check")
def check(
    file: Annotated[Path | None, typer.Argument(help="A candle file to check.")] = None,
    stored: Annotated[bool, typer.Option("--stored", help="Check the stored candles.")] = False,
    exchange: Annotated[str, typer.Option(help="The file's exchange.")] = "binance",
    symbol: Annotated[str, typer.Option(help="The file's market, as BASE/QUOTE.")] = "BTC/USDT",
    timeframe: Annotated[str, typer.Option(help="The file's candle length.")] = "5m",
    data_dir: DataDir = Path("var"),
) -> None:
    """Report malformed candle data (per reason) in a FILE or, with --stored, in the store."""
    console = Console(soft_wrap=True)
    code = data_reports.check_data(
        file=file,
        stored=stored,
        exchange=exchange,
        symbol=symbol,
        timeframe=timeframe,
        data_dir=data_dir,
        console=console,
    )
    raise typer.Exit(code)


@data_app.command("download")
def download(
    since: Annotated[str, typer.Option(help="First candle, UTC date (2024-01-01) or epoch ms.")],
    exchange: Annotated[str, typer.Option(help="Exchange to download from (ccxt id).")] = "binance",
    symbol: Annotated[
        list[str] | None, typer.Option(help="Market, as BASE/QUOTE; repeat for several.")
    ] = None,
    timeframe: Annotated[str, typer.Option(help="Candle length, e.g. 1m, 5m, 1h.")] = "1m",
    until: Annotated[str | None, typer.Option(help="End (excluded); default now.")] = None,
    repair_gaps: Annotated[
        bool,
        typer.Option(
            "--repair-gaps",
            help="Also fetch the candles missing inside the stored range from --since on; "
            "ranges the exchange has no data for are reported and remembered.",
        ),
    ] = False,
    retry_outages: Annotated[
        bool,
        typer.Option(
            "--retry-outages",
            help="Forget the ranges remembered as having no data and ask the exchange for them "
            "again (implies --repair-gaps).",
        ),
    ] = False,
    data_dir: DataDir = Path("var"),
    api_base_url: Annotated[
        str | None,
        typer.Option(envvar="CT_MARKETDATA_EXCHANGE_API_BASE_URL", hidden=True),
    ] = None,
) -> None:
    """Download closed candles into the store, resuming after the last stored one.

    With --repair-gaps the gaps `ct data list` shows are filled from the exchange as well.
    """
    console = Console(soft_wrap=True)
    code = data_transfer.download(
        exchange=exchange,
        symbols=symbol or ["BTC/USDT"],
        timeframe=timeframe,
        since=since,
        until=until,
        data_dir=data_dir,
        console=console,
        api_base_url=api_base_url,
        repair_gaps=repair_gaps,
        retry_outages=retry_outages,
    )
    raise typer.Exit(code)


@data_app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="The file to write.")],
    exchange: Annotated[str, typer.Option(help="The market's exchange.")] = "binance",
    symbol: Annotated[str, typer.Option(help="Market, as BASE/QUOTE.")] = "BTC/USDT",
    timeframe: Annotated[str, typer.Option(help="Candle length, e.g. 1m, 5m, 1h.")] = "1m",
    since: Annotated[str | None, typer.Option(help="First candle (UTC date or epoch ms).")] = None,
    until: Annotated[str | None, typer.Option(help="End, excluded (UTC date or epoch ms).")] = None,
    file_format: Annotated[
        str, typer.Option("--format", help="csv, parquet or json (freqtrade layout).")
    ] = "csv",
    data_dir: DataDir = Path("var"),
) -> None:
    """Export stored candles of one market to a file that `ct data import` reads back."""
    console = Console(soft_wrap=True)
    code = data_transfer.export(
        exchange=exchange,
        symbol=symbol,
        timeframe=timeframe,
        since=since,
        until=until,
        file_format=file_format,
        out=out,
        data_dir=data_dir,
        console=console,
    )
    raise typer.Exit(code)
