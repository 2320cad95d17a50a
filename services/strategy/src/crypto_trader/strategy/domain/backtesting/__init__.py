"""Backtesting engine: next-open market fills, long and short, fees, slippage and metrics."""

from crypto_trader.strategy.domain.backtesting.account import (
    BacktestConfig,
    Decision,
    OpenPosition,
    Trade,
    decide,
)
from crypto_trader.strategy.domain.backtesting.engine import (
    BacktestResult,
    EventBacktest,
    run_backtest,
    run_event_backtest,
    simulate,
)
from crypto_trader.strategy.domain.backtesting.metrics import Metrics, compute_metrics

__all__ = [
    "BacktestConfig",
    "BacktestResult",
    "Decision",
    "EventBacktest",
    "Metrics",
    "OpenPosition",
    "Trade",
    "compute_metrics",
    "decide",
    "run_backtest",
    "run_event_backtest",
    "simulate",
]
