"""`ct backtest`: run a built-in strategy over a candle file; print, save JSON, render a report."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crypto_trader.common.errors import CryptoTraderError, InvalidInput
from crypto_trader.strategy.domain.backtesting import BacktestResult, run_backtest
from crypto_trader.strategy.domain.backtesting.request import config_from_options
from crypto_trader.strategy.domain.framework import BUILT_INS, CandleFrame, create_strategy

EXIT_USAGE = 2


def parse_params(pairs: Sequence[str]) -> dict[str, str]:
    """Split repeated ``NAME=VALUE`` options into a dict.

    Raises
    ------
    InvalidInput
        When an item has no ``=`` or no name, or a name repeats.
    """
    params: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        name = name.strip()
        if not separator or not name:
            raise InvalidInput(f"--param must be NAME=VALUE, got {pair!r}")
        if name in params:
            raise InvalidInput(f"--param {name} given twice")
        params[name] = value
    return params


def load_frame(path: Path, *, exchange: str, symbol: str, timeframe: str) -> CandleFrame:
    """Read a candle file with the market data reader and return its candles as a frame.

    Raises
    ------
    InvalidInput
        When the file is missing or unreadable, or holds no valid candle.
    """
    from crypto_trader.marketdata.adapters.candle_files import read_candle_file

    candles = read_candle_file(path, exchange=exchange, symbol=symbol, timeframe=timeframe).candles
    if not candles:
        raise InvalidInput(f"no valid candles in {path}")
    rows = [
        (
            c.open_time_ms,
            float(c.open),
            float(c.high),
            float(c.low),
            float(c.close),
            float(c.volume),
        )
        for c in candles
    ]
    return CandleFrame.from_rows(rows)


def load_stored_frame(
    database_url: str,
    *,
    exchange: str,
    symbol: str,
    timeframe: str,
    start_ms: int = 0,
    end_ms: int | None = None,
) -> CandleFrame:
    """Read a market's candles in [start_ms, end_ms) from the market data candle store.

    Raises
    ------
    InvalidInput
        When the market is malformed or nothing is stored for it in the range.
    """
    from crypto_trader.marketdata.domain.market import MarketKey
    from crypto_trader.marketdata.importer import migrate_store

    key = MarketKey.parse(exchange, symbol, timeframe)
    columns = migrate_store(database_url).read_arrays(key, start_ms, end_ms)
    if not len(columns["open_time"]):
        raise InvalidInput(
            f"no candles stored for {exchange} {symbol} {key.timeframe} in that range; "
            "import or download them first (ct data import / ct data download)"
        )
    # PostgreSQL's binary read gives big-endian strided views: the engine wants native arrays.
    times = np.ascontiguousarray(columns["open_time"], dtype=np.int64)
    prices = [
        np.ascontiguousarray(columns[name], dtype=np.float64)
        for name in ("open", "high", "low", "close", "volume")
    ]
    return CandleFrame(times, *prices)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat().replace("+00:00", "Z")


def _number(value: float | int | None) -> float | int | None:
    # JSON has no infinity or NaN: undefined ratios are null.
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def result_to_json(result: BacktestResult, data: Path | str) -> dict[str, Any]:
    """Encode a result for the ``--output`` file: settings, final equity, metrics and trades."""
    times = result.open_time_ms
    open_position = result.open_position
    return {
        "strategy": result.strategy,
        "params": result.params,
        "data": str(data),
        "candles": len(times),
        "start": _iso(int(times[0])) if len(times) else None,
        "end": _iso(int(times[-1])) if len(times) else None,
        "initial_cash": result.config.initial_cash,
        "fee_rate": result.config.fee_rate,
        "maker_fee": result.config.fees.maker,
        "taker_fee": result.config.fees.taker,
        "slippage_bps": result.config.slippage_bps,
        "slippage_model": type(result.config.slippage).__name__,
        "order_type": result.config.order_type,
        "final_equity": result.final_equity,
        "cash": result.cash,
        "fills": result.fills,
        "metrics": {name: _number(value) for name, value in result.metrics.as_dict().items()},
        "trades": [
            {
                "side": trade.side,
                "size": trade.size,
                "entry_bar": trade.entry_bar,
                "entry_time_ms": trade.entry_time_ms,
                "entry_time": _iso(trade.entry_time_ms),
                "entry_price": trade.entry_price,
                "exit_bar": trade.exit_bar,
                "exit_time_ms": trade.exit_time_ms,
                "exit_time": _iso(trade.exit_time_ms),
                "exit_price": trade.exit_price,
                "exit_reason": trade.exit_reason,
                "fees": trade.fees,
                "pnl": trade.pnl,
                "return_pct": trade.return_pct,
            }
            for trade in result.trades
        ],
        "open_position": None
        if open_position is None
        else {
            "side": open_position.side,
            "size": open_position.size,
            "entry_bar": open_position.entry_bar,
            "entry_time": _iso(open_position.entry_time_ms),
            "entry_price": open_position.entry_price,
        },
    }


def _summary(result: BacktestResult) -> Table:
    table = Table(title=escape(f"{result.strategy} {result.params}"), show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("final equity", f"{result.final_equity:,.2f}")
    percent = {"total_return", "cagr", "max_drawdown", "win_rate", "exposure"}
    for name, value in result.metrics.as_dict().items():
        if value is None:
            text = "-"
        elif name in percent:
            text = f"{100 * value:.2f} %"
        elif isinstance(value, int):
            text = str(value)
        else:
            text = f"{value:,.4f}"
        table.add_row(name.replace("_", " "), text)
    return table


def write_report(result: BacktestResult, frame: CandleFrame, path: Path) -> None:
    """Write a self-contained HTML report: price with entries and exits, equity, drawdown."""
    from plotly import graph_objects as go
    from plotly.subplots import make_subplots

    times = frame.open_time_ms.astype("datetime64[ms]")
    figure = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        row_heights=[0.55, 0.25, 0.2],
        vertical_spacing=0.03,
        subplot_titles=("Close, entries and exits", "Equity", "Drawdown"),
    )
    figure.add_trace(go.Scattergl(x=times, y=frame.close, name="close", line={"width": 1}), 1, 1)
    trades = result.trades
    for side, colour, symbol in (
        ("long", "green", "triangle-up"),
        ("short", "red", "triangle-down"),
    ):
        entries = [t for t in trades if t.side == side]
        if result.open_position is not None and result.open_position.side == side:
            entries.append(result.open_position)  # type: ignore[arg-type]
        if entries:
            figure.add_trace(
                go.Scattergl(
                    x=times[[t.entry_bar for t in entries]],
                    y=[t.entry_price for t in entries],
                    mode="markers",
                    name=f"enter {side}",
                    marker={"color": colour, "symbol": symbol, "size": 9},
                ),
                1,
                1,
            )
    if trades:
        figure.add_trace(
            go.Scattergl(
                x=times[[t.exit_bar for t in trades]],
                y=[t.exit_price for t in trades],
                mode="markers",
                name="exit",
                text=[f"pnl {t.pnl:,.2f}" for t in trades],
                marker={"color": "black", "symbol": "x", "size": 8},
            ),
            1,
            1,
        )
    figure.add_trace(go.Scattergl(x=times, y=result.equity, name="equity"), 2, 1)
    figure.add_trace(
        go.Scattergl(x=times, y=100 * result.drawdown, name="drawdown %", fill="tozeroy"), 3, 1
    )
    figure.update_layout(height=900, hovermode="x unified", margin={"t": 40})
    rows = "".join(
        f"<tr><td>{escape_html(name)}</td><td>{'-' if value is None else f'{value:.6g}'}</td></tr>"
        for name, value in result.metrics.as_dict().items()
    )
    title = escape_html(f"Backtest {result.strategy} {result.params}")
    # include_plotlyjs=True inlines plotly.js, so the report opens offline (no CDN).
    chart = figure.to_html(full_html=False, include_plotlyjs=True)
    path.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:sans-serif'><h2>{title}</h2>"
        f"<p>final equity {result.final_equity:,.2f} from {result.config.initial_cash:,.2f}</p>"
        f"<table>{rows}</table>{chart}</body></html>",
        encoding="utf-8",
    )


def escape_html(text: str) -> str:
    """Escape text for HTML."""
    import html

    return html.escape(text)


def _read_candles(
    data: Path | None,
    *,
    exchange: str,
    symbol: str,
    timeframe: str,
    since: str | None,
    until: str | None,
    data_dir: Path,
) -> CandleFrame:
    if data is not None:
        if since is not None or until is not None:
            raise InvalidInput("--since/--until select candles from the store: drop --data")
        return load_frame(data, exchange=exchange, symbol=symbol, timeframe=timeframe)
    from crypto_trader.cli.data_import import database_url
    from crypto_trader.cli.data_transfer import parse_time_ms

    return load_stored_frame(
        database_url(data_dir),
        exchange=exchange,
        symbol=symbol,
        timeframe=timeframe,
        start_ms=0 if since is None else parse_time_ms(since),
        end_ms=None if until is None else parse_time_ms(until),
    )


def backtest_command(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Candle file (.json, .csv, .feather, …); without it, the candles of "
            "--exchange/--symbol/--timeframe in the candle store of --data-dir.",
        ),
    ] = None,
    strategy: Annotated[
        str, typer.Option("--strategy", help=f"One of: {', '.join(sorted(BUILT_INS))}.")
    ] = "sma_cross",
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Strategy parameter NAME=VALUE (repeat).")
    ] = None,
    fee: Annotated[float, typer.Option("--fee", help="Taker fee rate per fill.")] = 0.001,
    cash: Annotated[float, typer.Option("--cash", help="Starting cash (quote currency).")] = 10_000,
    slippage: Annotated[float, typer.Option("--slippage", help="Slippage per fill, bps.")] = 0.0,
    output: Annotated[Path | None, typer.Option("--output", help="Write results as JSON.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report.")] = None,
    exchange: Annotated[str, typer.Option(help="Exchange of the candles.")] = "binance",
    symbol: Annotated[str, typer.Option(help="Market of the candles, BASE/QUOTE.")] = "BTC/USDT",
    timeframe: Annotated[
        str, typer.Option(help="Candle length the open times must align to.")
    ] = "1m",
    fee_model: Annotated[
        str,
        typer.Option(
            "--fee-model",
            help="flat: --fee for every fill; exchange: maker/taker fees of --exchange.",
        ),
    ] = "flat",
    maker_fee: Annotated[
        float | None, typer.Option("--maker-fee", help="Maker fee rate (limit fills).")
    ] = None,
    taker_fee: Annotated[
        float | None, typer.Option("--taker-fee", help="Taker fee rate (market/stop fills).")
    ] = None,
    slippage_model: Annotated[
        str,
        typer.Option(
            "--slippage-model",
            help="fixed (--slippage bps), spread (half of --spread-bps or of an estimate), "
            "volume (impact by share of candle volume, capped).",
        ),
    ] = "fixed",
    spread_bps: Annotated[
        float | None,
        typer.Option("--spread-bps", help="Bid-ask spread for --slippage-model spread."),
    ] = None,
    order_type: Annotated[
        str,
        typer.Option(
            "--order-type", help="Entry order: market, limit, stop, stop_limit, trailing_stop."
        ),
    ] = "market",
    entry_offset_bps: Annotated[
        float,
        typer.Option(
            "--entry-offset-bps", help="Distance of a non-market entry from the signal close."
        ),
    ] = 0.0,
    stop_loss: Annotated[
        float | None, typer.Option("--stop-loss", help="Stop-loss, fraction of the entry price.")
    ] = None,
    take_profit: Annotated[
        float | None,
        typer.Option("--take-profit", help="Take-profit, fraction of the entry price."),
    ] = None,
    trailing_stop: Annotated[
        float | None, typer.Option("--trailing-stop", help="Trailing stop distance, fraction.")
    ] = None,
    sizing: Annotated[
        str, typer.Option("--sizing", help="all_in, fixed_notional or fraction_of_equity.")
    ] = "all_in",
    sizing_value: Annotated[
        float, typer.Option("--sizing-value", help="Notional, or fraction of equity.")
    ] = 1.0,
    quantity_step: Annotated[
        float, typer.Option("--quantity-step", help="Lot step sizes round down to (0: none).")
    ] = 0.0,
    since: Annotated[
        str | None,
        typer.Option(help="Store only: first candle, UTC date (2024-01-01) or epoch ms."),
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Store only: end (excluded), UTC date or epoch ms.")
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir", help="Store only: where the SQLite files live (or CT_DATABASE_URL)."
        ),
    ] = Path("var"),
) -> None:
    """Backtest a built-in strategy on a candle file or stored candles (fills at next open)."""
    console = Console(soft_wrap=True)
    errors = Console(stderr=True, soft_wrap=True)
    try:
        strategy_instance = create_strategy(strategy, parse_params(param or []))
        if fee_model not in ("flat", "exchange"):
            raise InvalidInput(f"--fee-model must be flat or exchange, got {fee_model}")
        options: dict[str, object] = {
            "cash": cash,
            "fee": fee,
            "maker_fee": maker_fee,
            "taker_fee": taker_fee,
            "exchange": exchange if fee_model == "exchange" else None,
            "slippage_model": slippage_model,
            "slippage_bps": slippage,
            "spread_bps": spread_bps,
            "order_type": order_type,
            "entry_offset_bps": entry_offset_bps,
            "stop_loss": stop_loss,
            "take_profit": take_profit,
            "trailing_stop": trailing_stop,
            "sizing": sizing,
            "sizing_value": sizing_value,
            "quantity_step": quantity_step,
        }
        config = config_from_options({k: v for k, v in options.items() if v is not None})
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            source = data.name if data is not None else f"{exchange} {symbol} {timeframe}"
            task = progress.add_task(f"reading {escape(source)}", total=None)
            frame = _read_candles(
                data,
                exchange=exchange,
                symbol=symbol,
                timeframe=timeframe,
                since=since,
                until=until,
                data_dir=data_dir,
            )
            progress.update(task, description=f"backtesting {len(frame)} candles", total=1)

            def report_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=max(total, 1))

            result = run_backtest(strategy_instance, frame, config, report_progress)
            if output is not None:
                progress.update(task, description="writing JSON")
                described = data if data is not None else f"store:{exchange}/{symbol}/{timeframe}"
                output.write_text(json.dumps(result_to_json(result, described), indent=1))
            if report is not None:
                progress.update(task, description="writing report")
                write_report(result, frame, report)
    except CryptoTraderError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    console.print(_summary(result))
    if len(frame):
        console.print(
            f"{len(frame)} candles from {_iso(int(frame.open_time_ms[0]))} to "
            f"{_iso(int(frame.open_time_ms[-1]))}; {len(result.trades)} closed trades",
            highlight=False,
        )
