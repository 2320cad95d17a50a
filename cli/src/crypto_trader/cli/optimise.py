"""`ct optimise`: search a strategy's parameters on a candle file, walk-forward, store the run."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crypto_trader.cli.backtest import EXIT_USAGE, load_frame, parse_params
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.errors import CryptoTraderError, InvalidInput
from crypto_trader.common.settings import InfraSettings
from crypto_trader.strategy.adapters.optimisation_store import store_run
from crypto_trader.strategy.domain.backtesting import BacktestConfig
from crypto_trader.strategy.domain.framework import BUILT_INS
from crypto_trader.strategy.domain.optimisation import (
    DEFAULT_GRID_CAP,
    OBJECTIVES,
    OptimisationRun,
    WalkForwardConfig,
    rank_trials,
)
from crypto_trader.strategy.optimiser import (
    LocalTrials,
    OptimiseRequest,
    TrialBackend,
    default_workers,
    optimise,
    search_space_for,
)

BACKENDS = ("local", "celery")


@contextmanager
def _trial_backend(
    name: str, workers: int, infra: InfraSettings, timeout: float
) -> Iterator[TrialBackend]:
    if name == "local":
        yield LocalTrials(workers)
        return
    if name != "celery":
        raise InvalidInput(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    if not timeout > 0:
        raise InvalidInput(f"--worker-timeout must be positive, got {timeout}")
    from crypto_trader.strategy.adapters.celery_tasks import create_celery
    from crypto_trader.strategy.adapters.celery_trials import CeleryTrials

    app = create_celery(infra)
    try:
        yield CeleryTrials(app, infra, timeout=timeout)
    finally:
        app.close()


def _params(params: Mapping[str, object] | None) -> str:
    return ", ".join(f"{name}={value}" for name, value in (params or {}).items())


def _fmt(value: object) -> str:
    return "-" if not isinstance(value, int | float) else f"{value:,.4f}"


def _trials_table(run: OptimisationRun, top: int) -> Table:
    table = Table(title=escape(f"{run.strategy}: top trials by {run.objective} ({run.method})"))
    for column in ("#", "window", "params", run.objective, "return", "max dd", "trades"):
        table.add_column(column, justify="right" if column != "params" else "left")
    for trial in rank_trials(run.trials)[:top]:
        metrics = trial.metrics
        table.add_row(
            str(trial.number),
            "-" if trial.window is None else str(trial.window),
            escape(_params(trial.params)),
            _fmt(trial.score),
            _fmt(metrics.get("total_return")),
            _fmt(metrics.get("max_drawdown")),
            str(metrics.get("trades", "-")),
        )
    return table


def _windows_table(run: OptimisationRun) -> Table:
    table = Table(title=escape(f"walk-forward: in-sample vs out-of-sample {run.objective}"))
    for column in ("window", "in-sample", "out-of-sample", "best params", "IS", "OOS", "OOS ret"):
        table.add_column(column, justify="left" if column == "best params" else "right")
    for result in run.windows:
        window = result.window
        table.add_row(
            str(window.index),
            f"{window.in_sample_start}-{window.in_sample_end}",
            f"{window.out_of_sample_start}-{window.out_of_sample_end}",
            escape(_params(result.best_params)),
            _fmt(result.in_sample_score),
            _fmt(result.out_of_sample_score),
            _fmt(result.out_of_sample_metrics.get("total_return")),
        )
    return table


def optimise_command(
    data: Annotated[Path, typer.Option("--data", help="Candle file (.json, .csv, .feather, …).")],
    strategy: Annotated[
        str, typer.Option("--strategy", help=f"One of: {', '.join(sorted(BUILT_INS))}.")
    ] = "sma_cross",
    param_range: Annotated[
        list[str] | None,
        typer.Option("--param-range", help="Searched NAME=LOW:HIGH[:STEP] or NAME=bool (repeat)."),
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="Fixed parameter NAME=VALUE (repeat).")
    ] = None,
    method: Annotated[str, typer.Option("--method", help="grid or tpe.")] = "grid",
    trials: Annotated[int, typer.Option("--trials", help="TPE trials per search.")] = 50,
    seed: Annotated[int, typer.Option("--seed", help="TPE seed (reproducible runs).")] = 0,
    objective: Annotated[
        str, typer.Option("--objective", help=f"One of: {', '.join(OBJECTIVES)}.")
    ] = "sharpe",
    walk_forward: Annotated[
        str | None,
        typer.Option("--walk-forward", help="IS:OOS window sizes in candles."),
    ] = None,
    anchored: Annotated[
        bool, typer.Option("--anchored", help="In-sample windows all start at the first candle.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Local processes (default: one per core).")
    ] = None,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="Where trials run: local processes, or celery (strategy workers on CT_REDIS_URL).",
        ),
    ] = "local",
    worker_timeout: Annotated[
        float,
        typer.Option(
            "--worker-timeout", help="Seconds to wait for a Celery worker to take trials."
        ),
    ] = 30.0,
    max_grid: Annotated[
        int, typer.Option("--max-grid", help="Refuse grids with more points.")
    ] = DEFAULT_GRID_CAP,
    top: Annotated[int, typer.Option("--top", help="Trials to show.")] = 10,
    fee: Annotated[float, typer.Option("--fee", help="Taker fee rate per fill.")] = 0.001,
    cash: Annotated[float, typer.Option("--cash", help="Starting cash (quote currency).")] = 10_000,
    slippage: Annotated[float, typer.Option("--slippage", help="Slippage per fill, bps.")] = 0.0,
    output: Annotated[Path | None, typer.Option("--output", help="Write the run as JSON.")] = None,
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the strategy database (SQLite) lives.")
    ] = Path("var"),
    exchange: Annotated[str, typer.Option(help="Exchange of the candles.")] = "binance",
    symbol: Annotated[str, typer.Option(help="Market of the candles, BASE/QUOTE.")] = "BTC/USDT",
    timeframe: Annotated[
        str, typer.Option(help="Candle length the open times must align to.")
    ] = "1m",
) -> None:
    """Optimise a built-in strategy's parameters on a candle file and store the run."""
    console = Console(soft_wrap=True)
    errors = Console(stderr=True, soft_wrap=True)
    try:
        space = search_space_for(strategy, param_range or [], parse_params(param or []))
        request = OptimiseRequest(
            strategy=strategy,
            space=space,
            method=method,
            objective=objective,
            trials=trials,
            seed=seed,
            walk_forward=WalkForwardConfig.parse(walk_forward, anchored=anchored)
            if walk_forward
            else None,
            config=BacktestConfig(initial_cash=cash, fee_rate=fee, slippage_bps=slippage),
            workers=workers if workers is not None else default_workers(),
            grid_cap=max_grid,
        )
        request.check()
        infra = InfraSettings(data_dir=data_dir.resolve())
        with (
            _trial_backend(backend, request.workers, infra, worker_timeout) as trial_backend,
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=not console.is_terminal,
            ) as progress,
        ):
            task = progress.add_task(f"reading {escape(data.name)}", total=None)
            frame = load_frame(data, exchange=exchange, symbol=symbol, timeframe=timeframe)
            progress.update(task, description=f"optimising on {len(frame)} candles")

            def report_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=max(total, 1))

            run = optimise(
                frame,
                request,
                clock=LiveClock(),
                on_progress=report_progress,
                backend=trial_backend,
            )
            progress.update(task, description="storing the run")
            store_run(run, infra.database_url_for("strategy"))
            if output is not None:
                output.write_text(json.dumps(run.as_dict(), indent=1, allow_nan=False))
    except (CryptoTraderError, OSError) as error:
        errors.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        raise typer.Exit(EXIT_USAGE) from None
    console.print(_trials_table(run, top))
    if run.windows:
        console.print(_windows_table(run))
        stitched = run.out_of_sample_metrics or {}
        console.print(
            f"stitched out-of-sample: {run.objective} {_fmt(stitched.get(OBJECTIVES[objective]))}, "
            f"return {_fmt(stitched.get('total_return'))}, "
            f"max drawdown {_fmt(stitched.get('max_drawdown'))}",
            highlight=False,
        )
    console.print(
        f"run {run.run_id}: {len(run.trials)} trials ({run.skipped} invalid skipped); "
        f"best params {_params(run.best_params)} ({run.objective} {_fmt(run.best_score)})",
        highlight=False,
        markup=False,
    )
