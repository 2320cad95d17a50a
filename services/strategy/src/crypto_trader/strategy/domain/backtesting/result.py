"""The outcome of a single-symbol backtest, with its curves and trades built on demand."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crypto_trader.strategy.domain.backtesting.account import BacktestConfig, OpenPosition
from crypto_trader.strategy.domain.backtesting.metrics import (
    CurveStats,
    Metrics,
    compute_metrics,
    curve_stats,
    drawdown_curve,
)
from crypto_trader.strategy.domain.backtesting.trade_log import TradeLog
from crypto_trader.strategy.domain.framework.base import BaseStrategy
from crypto_trader.strategy.domain.indicators.frame import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Outcome of a backtest: trades, curves (one value per candle) and metrics.

    The trades, the position curve and the drawdown curve are built when first read: the fast
    path backtests a million candles in milliseconds, and building any of them eagerly takes
    about as long again.
    """

    strategy: str
    params: dict[str, int | float | bool]
    config: BacktestConfig
    open_time_ms: IntArray
    equity: FloatArray
    trades: TradeLog
    open_position: OpenPosition | None
    final_equity: float
    cash: float
    fees_paid: float
    fills: int
    metrics: Metrics

    @property
    def drawdown(self) -> FloatArray:
        """Return each candle's drawdown: equity over its running peak, minus one (<= 0)."""
        return drawdown_curve(self.equity)

    @property
    def position(self) -> FloatArray:
        """Return the position held after each candle (signed size, 0 when flat)."""
        return position_curve(len(self.equity), self.trades, self.open_position)


def position_curve(count: int, trades: TradeLog, open_position: OpenPosition | None) -> FloatArray:
    """Return the signed size held after each of ``count`` candles.

    A trade holds its size from its entry candle up to, not including, its exit candle (it is
    closed at that candle's open); the open position from its entry candle to the end.
    """
    columns = trades.columns()
    starts, ends = columns.entry_bar, columns.exit_bar
    held = columns.direction * columns.size
    if open_position is not None:
        direction = 1.0 if open_position.side == "long" else -1.0
        starts = np.append(starts, open_position.entry_bar)
        ends = np.append(ends, count)
        held = np.append(held, direction * open_position.size)
    lengths = ends - starts
    # Every held candle's index: its trade's start plus its offset inside the trade.
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    position = np.zeros(count)
    position[np.repeat(starts, lengths) + offsets] = np.repeat(held, lengths)
    return position


def build_result(
    strategy: BaseStrategy,
    config: BacktestConfig,
    open_time_ms: IntArray,
    equity: FloatArray,
    trades: TradeLog,
    open_position: OpenPosition | None,
    totals: tuple[float, float, int],
    held_bars: int,
    curve: CurveStats | None = None,
) -> BacktestResult:
    """Assemble a result and its metrics from the simulated curves and totals.

    ``totals`` is (cash, fees paid, fills); ``held_bars`` the number of candles that ended
    with a position (for the exposure); ``curve`` the equity curve's statistics when they
    are already computed (the compiled fast path measures them while it fills).
    """
    cash, fees_paid, fills = totals
    exposure = held_bars / len(equity) if len(equity) else 0.0
    return BacktestResult(
        strategy=strategy.name,
        params=dict(strategy.params),
        config=config,
        open_time_ms=open_time_ms,
        equity=equity,
        trades=trades,
        open_position=open_position,
        final_equity=float(equity[-1]) if len(equity) else config.initial_cash,
        cash=cash,
        fees_paid=fees_paid,
        fills=fills,
        metrics=compute_metrics(
            equity,
            open_time_ms,
            exposure,
            trades,
            fees_paid,
            config.initial_cash,
            curve=curve or curve_stats(equity, open_time_ms, config.initial_cash),
        ),
    )
