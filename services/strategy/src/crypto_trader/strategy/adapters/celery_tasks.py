"""Celery entrypoints of the strategy service: backtests run by its worker, queued by others.

Clients queue work with ``send_task(STRATEGY_BACKTEST_TASK, args=[strategy, params, candles,
options], queue=backtest_queue(infra))`` on a Celery app whose broker and result backend are
``infra.redis_url``. ``BACKTEST_TASK`` (the exact-decimal long-only SMA cross) stays for older
clients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from celery import Celery

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import decimal_str, to_decimal
from crypto_trader.common.settings import InfraSettings
from crypto_trader.strategy.domain.backtest import BacktestResult, Bar, backtest_sma_cross
from crypto_trader.strategy.domain.backtesting.request import (
    result_to_json,
    run_requested_backtest,
)

BACKTEST_TASK = "strategy.backtest_sma_cross"
STRATEGY_BACKTEST_TASK = "strategy.backtest"
# Progress is stored in Redis about a hundred times per backtest, not once per candle.
_PROGRESS_REPORTS = 100


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
    return app


def backtest_strategy_task(
    task: ProgressReporter,
    strategy: str,
    params: Mapping[str, object],
    candles: Sequence[Sequence[object]],
    options: Mapping[str, object] | None = None,
) -> dict[str, Any]:
    """Backtest any built-in strategy on ``[open_ms, open, high, low, close, volume]`` rows.

    ``options`` are the engine's JSON options (cash, fee or exchange/maker_fee/taker_fee,
    slippage_model/slippage_bps/spread_bps, order_type, stop_loss, take_profit, trailing_stop,
    sizing/sizing_value/quantity_step); progress goes to the result backend as ``PROGRESS``.
    """

    def report(done: int, total: int) -> None:
        task.update_state(state="PROGRESS", meta={"done": done, "total": total})

    result = run_requested_backtest(strategy, params or {}, candles, options or {}, report)
    return result_to_json(result)


def backtest_sma_cross_task(
    task: ProgressReporter,
    candles: Sequence[Sequence[str]],
    fast: int,
    slow: int,
    fee: str,
    cash: str,
) -> dict[str, Any]:
    """Backtest the long-only SMA cross on ``[open_ms, open, high, low, close, volume]`` rows."""
    bars = [_bar(index, row) for index, row in enumerate(candles)]
    every = max(1, len(bars) // _PROGRESS_REPORTS)

    def report(done: int, total: int) -> None:
        task.update_state(state="PROGRESS", meta={"done": done, "total": total})

    result = backtest_sma_cross(
        bars,
        int(fast),
        int(slow),
        fee_rate=to_decimal(fee, field="fee"),
        cash=to_decimal(cash, field="cash"),
        on_progress=report,
        progress_every=every,
    )
    return result_to_dict(result)


def _bar(index: int, row: Sequence[str]) -> Bar:
    if len(row) != 6:
        raise InvalidInput(f"candle {index} must be [open_ms, open, high, low, close, volume]")
    try:
        open_time_ms = int(row[0])
    except (TypeError, ValueError):
        raise InvalidInput(f"candle {index}: open time {row[0]!r} is not an integer") from None
    return Bar(
        open_time_ms=open_time_ms,
        open=to_decimal(row[1], field=f"candle {index} open"),
        close=to_decimal(row[4], field=f"candle {index} close"),
    )


def result_to_dict(result: BacktestResult) -> dict[str, Any]:
    """Encode a backtest result for JSON, with decimals as strings."""
    return {
        "initial_cash": decimal_str(result.initial_cash),
        "final_equity": decimal_str(result.final_equity),
        "cash": decimal_str(result.cash),
        "position": decimal_str(result.position),
        "fees_paid": decimal_str(result.fees_paid),
        "candles": result.candles,
        "trades": [
            {
                "side": fill.side.value,
                "open_time_ms": fill.open_time_ms,
                "price": decimal_str(fill.price),
                "quantity": decimal_str(fill.quantity),
                "fee": decimal_str(fill.fee),
                "signal_index": fill.signal_index,
            }
            for fill in result.fills
        ],
    }
