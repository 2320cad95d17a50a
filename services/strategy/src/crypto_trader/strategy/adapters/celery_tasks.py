"""Celery entrypoints of the strategy service: backtests run by its worker, queued by others.

The same app also runs optimisations (``celery_optimise``) and their trial chunks
(``celery_trials``, on the separate ``trials_queue``).

Clients queue work with ``send_task(STRATEGY_BACKTEST_TASK, args=[strategy, params, candles,
options], queue=backtest_queue(infra))`` on a Celery app whose broker and result backend are
``infra.redis_url``. ``candles`` is one market's rows, or ``{symbol: rows}`` for several symbols
backtested in one account (rows aligned on time). ``BACKTEST_TASK`` (the long-only SMA cross
with its fills as decimal strings) stays for older clients; both run the backtesting engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from celery import Celery

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import decimal_str, to_decimal, validate_symbol
from crypto_trader.common.settings import InfraSettings
from crypto_trader.strategy.adapters.celery_optimise import register_optimise_task
from crypto_trader.strategy.adapters.celery_trials import register_trial_task
from crypto_trader.strategy.domain.backtesting import (
    PortfolioResult,
    run_portfolio_backtest,
)
from crypto_trader.strategy.domain.backtesting.request import (
    config_from_options,
    frame_from_rows,
    result_to_fills_json,
    result_to_json,
    run_requested_backtest,
)
from crypto_trader.strategy.domain.framework import create_strategy

BACKTEST_TASK = "strategy.backtest_sma_cross"
STRATEGY_BACKTEST_TASK = "strategy.backtest"


class ProgressReporter(Protocol):
    """The part of a bound Celery task the backtest entrypoint uses."""

    def update_state(self, *, state: str, meta: dict[str, Any]) -> None: ...


def backtest_queue(infra: InfraSettings) -> str:
    """Return the queue of backtest tasks, prefixed so that runs sharing a Redis do not collide."""
    return f"{infra.redis_prefix}strategy.backtests"


def create_celery(infra: InfraSettings) -> Celery:
    """Build the Celery app of the strategy service with its tasks registered."""
    app = Celery(
        "crypto_trader.strategy",
        broker=infra.redis_url,
        backend=infra.redis_url,
        set_as_current=False,
    )
    app.conf.update(
        task_default_queue=backtest_queue(infra),
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_track_started=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_enable_remote_control=False,
        broker_connection_retry_on_startup=True,
        result_expires=7 * 86_400,
    )
    app.task(name=BACKTEST_TASK, bind=True)(backtest_sma_cross_task)
    app.task(name=STRATEGY_BACKTEST_TASK, bind=True)(backtest_strategy_task)
    register_optimise_task(app, infra)
    register_trial_task(app, infra)
    return app


def backtest_strategy_task(
    task: ProgressReporter,
    strategy: str,
    params: Mapping[str, object],
    candles: Sequence[Sequence[object]] | Mapping[str, Sequence[Sequence[object]]],
    options: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """Backtest any built-in strategy on ``[open_ms, open, high, low, close, volume]`` rows.

    ``candles`` may map several symbols to their rows (the same open times): they share one
    cash balance and the result has the portfolio's metrics plus each symbol's trades.
    ``options`` are the engine's JSON options (cash, fee or exchange/maker_fee/taker_fee,
    slippage_model/slippage_bps/spread_bps, order_type, stop_loss, take_profit, trailing_stop,
    sizing/sizing_value/quantity_step); progress goes to the result backend as ``PROGRESS``.
    """

    def report(done: int, total: int) -> None:
        task.update_state(state="PROGRESS", meta={"done": done, "total": total})

    if isinstance(candles, Mapping):
        return _portfolio_backtest(strategy, params or {}, candles, options or {}, report)
    result = run_requested_backtest(strategy, params or {}, candles, options or {}, report)
    return result_to_json(result)


def _portfolio_backtest(
    strategy: str,
    params: Mapping[str, object],
    candles: Mapping[str, Sequence[Sequence[object]]],
    options: Mapping[str, object],
    report: Callable[[int, int], None],
) -> dict[str, Any]:
    if not candles:
        raise InvalidInput("no symbols to backtest")
    config = config_from_options(options)
    frames = {}
    for symbol, rows in candles.items():
        try:
            frames[validate_symbol(symbol)] = frame_from_rows(rows)
        except InvalidInput as error:
            raise InvalidInput(f"{symbol}: {error}") from None
    # One strategy object per symbol: the event path keeps per-market state.
    strategies = {symbol: create_strategy(strategy, params) for symbol in frames}
    result = run_portfolio_backtest(strategies, frames, config, report)
    first = next(iter(strategies.values()))
    return {
        "strategy": first.name,
        "params": first.params,
        "symbols": list(frames),
        "candles": len(result.open_time_ms),
        "initial_cash": config.initial_cash,
        **_portfolio_totals(result),
        "per_symbol": {
            symbol: {
                "position": float(result.positions[symbol][-1]),
                "last_close": float(frame.close[-1]),
                "trades": [t.as_dict() for t in result.trades if t.symbol == symbol],
            }
            for symbol, frame in frames.items()
        },
    }


def _portfolio_totals(result: PortfolioResult) -> dict[str, Any]:
    # JSON has no infinity or NaN: undefined metrics are null.
    metrics = {
        name: None if isinstance(value, float) and not math.isfinite(value) else value
        for name, value in result.metrics.as_dict().items()
    }
    return {
        "final_equity": result.final_equity,
        "cash": result.cash,
        "fees_paid": result.fees_paid,
        "fills": result.fills,
        "metrics": metrics,
    }


def backtest_sma_cross_task(
    task: ProgressReporter,
    candles: Sequence[Sequence[object]],
    fast: int,
    slow: int,
    fee: str,
    cash: str,
) -> dict[str, Any]:
    """Backtest the long-only SMA cross on ``[open_ms, open, high, low, close, volume]`` rows.

    The engine's ``sma_cross``, all in, market orders at the next open; the result lists the
    fills with amounts as decimal strings (the task's result since before the engine).
    """

    def report(done: int, total: int) -> None:
        task.update_state(state="PROGRESS", meta={"done": done, "total": total})

    options = {
        "fee": decimal_str(to_decimal(fee, field="fee")),
        "cash": decimal_str(to_decimal(cash, field="cash")),
    }
    params = {"fast": fast, "slow": slow}
    result = run_requested_backtest("sma_cross", params, candles, options, report)
    return result_to_fills_json(result)
