"""Trials as pure functions of (strategy, params, candle slice, config), and stitching results."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    BacktestResult,
    Trade,
    compute_metrics,
    run_backtest,
)
from crypto_trader.strategy.domain.framework import create_strategy, strategy_class
from crypto_trader.strategy.domain.indicators import CandleFrame
from crypto_trader.strategy.domain.optimisation.objective import score

ParameterValue = int | float | bool
MetricsDict = dict[str, float | int | None]


@dataclass(frozen=True, slots=True)
class TrialTask:
    """One backtest to run: strategy, parameters and the candle range ``[start, end)`` to trade."""

    number: int
    window: int | None
    strategy: str
    params: Mapping[str, ParameterValue]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Trial:
    """A finished trial: its parameters, every metric and the objective's score."""

    number: int
    window: int | None
    params: dict[str, ParameterValue]
    metrics: MetricsDict
    score: float | None

    def as_dict(self) -> dict[str, object]:
        """Return the trial as a JSON-ready dict."""
        return {
            "number": self.number,
            "window": self.window,
            "params": self.params,
            "metrics": self.metrics,
            "score": self.score,
        }


def valid_params(strategy: str, params: Mapping[str, ParameterValue]) -> bool:
    """Return whether the strategy accepts the parameters (e.g. fast shorter than slow)."""
    try:
        strategy_class(strategy).parse_params(params)
    except InvalidInput:
        return False
    return True


def json_metrics(metrics: Mapping[str, object]) -> MetricsDict:
    """Return metrics with NaN and infinities as None (JSON has neither)."""
    clean: MetricsDict = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            clean[name] = None
        elif isinstance(value, float) and not math.isfinite(value):
            clean[name] = None
        else:
            clean[name] = value
    return clean


def backtest_range(
    frame: CandleFrame,
    strategy: str,
    params: Mapping[str, ParameterValue],
    config: BacktestConfig,
    start: int,
    end: int,
) -> BacktestResult:
    """Backtest candles ``[start, end)`` only: no candle outside the range is seen."""
    return run_backtest(create_strategy(strategy, params), frame.slice(start, end), config)


def run_trial(task: TrialTask, frame: CandleFrame, config: BacktestConfig, objective: str) -> Trial:
    """Backtest one task on its candle range and score it."""
    result = backtest_range(frame, task.strategy, task.params, config, task.start, task.end)
    metrics = json_metrics(result.metrics.as_dict())
    return Trial(task.number, task.window, dict(task.params), metrics, score(metrics, objective))


@dataclass(frozen=True, slots=True)
class OutOfSample:
    """One window's out-of-sample backtest, warmed up on the candles just before it."""

    result: BacktestResult
    # Leading bars of ``result`` that are warm-up history, not out-of-sample candles.
    history: int


def backtest_out_of_sample(
    frame: CandleFrame,
    strategy: str,
    params: Mapping[str, ParameterValue],
    config: BacktestConfig,
    start: int,
    end: int,
) -> OutOfSample:
    """Backtest ``[start, end)`` with the strategy warmed up on the candles before ``start``.

    The warm-up candles precede the window (past data, so no lookahead); the strategy cannot
    signal before its warm-up is over, so every fill lands inside the window.
    """
    warmup = create_strategy(strategy, params).warmup
    first = max(0, start - warmup)
    result = backtest_range(frame, strategy, params, config, first, end)
    return OutOfSample(result, start - first)


def out_of_sample_metrics(part: OutOfSample) -> MetricsDict:
    """Return the metrics of the out-of-sample candles of one window (warm-up bars dropped)."""
    return stitch([part], part.result.config.initial_cash)


def stitch(parts: Sequence[OutOfSample], initial_cash: float) -> MetricsDict:
    """Chain out-of-sample windows into one equity curve (each compounding from the last) and
    return its metrics; trade statistics come from every window's own trades."""
    equity_parts: list[np.ndarray] = []
    times: list[np.ndarray] = []
    positions: list[np.ndarray] = []
    trades: list[Trade] = []
    fees = 0.0
    level = initial_cash
    for part in parts:
        result, history = part.result, part.history
        equity = np.asarray(result.equity[history:], dtype=np.float64)
        scale = level / result.config.initial_cash
        equity_parts.append(equity * scale)
        times.append(result.open_time_ms[history:])
        positions.append(result.position[history:])
        trades.extend(trade for trade in result.trades if trade.entry_bar >= history)
        fees += result.fees_paid * scale
        if len(equity):
            level = float(equity[-1]) * scale
    equity = np.concatenate(equity_parts) if equity_parts else np.zeros(0)
    position = np.concatenate(positions) if positions else np.zeros(0)
    exposure = float(np.mean(position != 0)) if len(position) else 0.0
    open_time_ms = np.concatenate(times) if times else np.zeros(0, dtype=np.int64)
    metrics = compute_metrics(equity, open_time_ms, exposure, trades, fees, initial_cash)
    return json_metrics(metrics.as_dict())
