"""`ct backtest`: run a built-in strategy over candles; print, save JSON, render a report.

One symbol runs here; several (one shared cash balance) run in ``portfolio_backtest``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from crypto_trader.cli.backtest_output import iso, result_to_json, summary_table
from crypto_trader.cli.backtest_report import write_report
from crypto_trader.cli.backtest_sources import Market, MarketSource, market_sources
from crypto_trader.cli.portfolio_backtest import PortfolioRun
from crypto_trader.common.errors import CryptoTraderError, InvalidInput
from crypto_trader.strategy.domain.backtesting import BacktestConfig, run_backtest
from crypto_trader.strategy.domain.backtesting.request import config_from_options
from crypto_trader.strategy.domain.framework import BUILT_INS, BaseStrategy, create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame

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
        list[str] | None,
        typer.Option(
            "--data",
            metavar="FILE|SYMBOL=FILE",
            help="Candle file (.json, .csv, .feather, …) of --symbol; for several symbols "
            "repeat it as SYMBOL=FILE (--data BTC/USDT=btc.json --data ETH/USDT=eth.json). "
            "Without it, the candles of --exchange/--symbol/--timeframe in the candle store "
            "of --data-dir.",
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
    symbol: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SYMBOL",
            help="Market of the candles, BASE/QUOTE (default BTC/USDT); repeat it to backtest "
            "several stored symbols in one portfolio.",
        ),
    ] = None,
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
    """Backtest a built-in strategy on candle files or stored candles (fills at next open).

    Several symbols (repeated --symbol, or --data SYMBOL=FILE) trade from one cash balance: the
    sizing rule shares it (e.g. --sizing fraction_of_equity --sizing-value 0.5), and only the
    candle times every symbol has are backtested.
    """
    console = Console(soft_wrap=True)
    errors = Console(stderr=True, soft_wrap=True)
    try:
        params = parse_params(param or [])
        strategy_instance = create_strategy(strategy, params)
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
        sources = market_sources(data or [], symbol or [])
        market = Market(exchange, timeframe)

        def read(source: MarketSource) -> CandleFrame:
            return _read_candles(
                source.path,
                exchange=exchange,
                symbol=source.symbol,
                timeframe=timeframe,
                since=since,
                until=until,
                data_dir=data_dir,
            )

        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            if len(sources) > 1:
                run = PortfolioRun(strategy, params, config, market, output=output, report=report)
                printed = run.execute(sources, read, progress)
            else:
                printed = _run_one(
                    sources[0], read, strategy_instance, config, market, progress, output, report
                )
    except CryptoTraderError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    except OSError as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    for item in printed:
        console.print(item, highlight=False)


def _run_one(
    source: MarketSource,
    read: Callable[[MarketSource], CandleFrame],
    strategy: BaseStrategy,
    config: BacktestConfig,
    market: Market,
    progress: Progress,
    output: Path | None,
    report: Path | None,
) -> list[RenderableType]:
    label = source.path.name if source.path is not None else market.label(source.symbol)
    task = progress.add_task(f"reading {escape(label)}", total=None)
    frame = read(source)
    progress.update(task, description=f"backtesting {len(frame)} candles", total=1)

    def report_progress(done: int, total: int) -> None:
        progress.update(task, completed=done, total=max(total, 1))

    result = run_backtest(strategy, frame, config, report_progress)
    if output is not None:
        progress.update(task, description="writing JSON")
        described = source.path or market.store_label(source.symbol)
        output.write_text(json.dumps(result_to_json(result, described), indent=1))
    if report is not None:
        progress.update(task, description="writing report")
        write_report(result, frame, report)
    printed: list[RenderableType] = [
        summary_table(f"{result.strategy} {result.params}", result.final_equity, result.metrics)
    ]
    if len(frame):
        printed.append(
            f"{len(frame)} candles from {iso(int(frame.open_time_ms[0]))} to "
            f"{iso(int(frame.open_time_ms[-1]))}; {len(result.trades)} closed trades"
        )
    return printed
