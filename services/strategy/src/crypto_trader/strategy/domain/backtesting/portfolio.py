"""Backtest several symbols in one account: candles aligned on time, one strategy per symbol.

Each candle time is processed symbol by symbol in the mapping's order with the same rules as a
single-symbol backtest (see ``engine``); all symbols draw on one cash balance, so the sizing rule
(e.g. a fraction of equity) decides how the cash is shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.backtesting.account import Account, BacktestConfig, Trade, decide
from crypto_trader.strategy.domain.backtesting.engine import (
    ProgressCallback,
    bracket_at,
    hint_arrays,
)
from crypto_trader.strategy.domain.backtesting.metrics import Metrics, compute_metrics
from crypto_trader.strategy.domain.framework.base import BaseStrategy
from crypto_trader.strategy.domain.indicators.frame import CandleFrame, FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class PortfolioResult:
    """Outcome of a multi-symbol backtest: one equity curve, trades of every symbol, metrics."""

    open_time_ms: IntArray
    equity: FloatArray
    positions: dict[str, FloatArray]
    trades: tuple[Trade, ...]
    final_equity: float
    cash: float
    fees_paid: float
    fills: int
    metrics: Metrics


def _check_aligned(frames: Mapping[str, CandleFrame]) -> IntArray:
    if not frames:
        raise InvalidInput("a portfolio backtest needs at least one symbol")
    times = next(iter(frames.values())).open_time_ms
    for symbol, frame in frames.items():
        if len(frame.open_time_ms) != len(times) or not np.array_equal(frame.open_time_ms, times):
            raise InvalidInput(f"candles of {symbol} are not aligned on time with the others")
    return times


def run_portfolio_backtest(
    strategies: Mapping[str, BaseStrategy],
    frames: Mapping[str, CandleFrame],
    config: BacktestConfig,
    on_progress: ProgressCallback | None = None,
) -> PortfolioResult:
    """Backtest each symbol's strategy on its candles, sharing one account.

    Raises
    ------
    InvalidInput
        When the symbols differ between the two mappings or the candles are not aligned on time.
    """
    if set(strategies) != set(frames):
        raise InvalidInput("give exactly one strategy per symbol")
    times = _check_aligned(frames)
    count = len(times)
    account = Account(config)
    signals = {symbol: strategies[symbol].generate(frame) for symbol, frame in frames.items()}
    hints = {symbol: hint_arrays(frame_signals) for symbol, frame_signals in signals.items()}
    equity = np.empty(count)
    positions = {symbol: np.empty(count) for symbol in frames}
    step = max(1, count // 100)
    for index in range(count):
        time_ms = int(times[index])
        value = 0.0
        for symbol, frame in frames.items():
            o, h = float(frame.open[index]), float(frame.high[index])
            lo, v = float(frame.low[index]), float(frame.volume[index])
            signal = signals[symbol].at(index - 1) if index else None
            if signal is not None:
                account.execute(
                    decide(account.position_of(symbol), signal),
                    index,
                    time_ms,
                    o,
                    symbol=symbol,
                    high=h,
                    low=lo,
                    volume=v,
                    reference=float(frame.close[index - 1]),
                    bracket=bracket_at(hints[symbol], index - 1),
                )
            account.on_bar(symbol, index, time_ms, o, h, lo, v)
            held = account.position_of(symbol)
            positions[symbol][index] = held
            value += held * float(frame.close[index])
        equity[index] = account.cash + value
        if on_progress is not None and (index + 1) % step == 0:
            on_progress(index + 1, count)
    exposure = float(np.mean(np.any([p != 0 for p in positions.values()], axis=0))) if count else 0
    return PortfolioResult(
        open_time_ms=times,
        equity=equity,
        positions=positions,
        trades=tuple(account.trades),
        final_equity=float(equity[-1]) if count else config.initial_cash,
        cash=account.cash,
        fees_paid=account.fees_paid,
        fills=account.fills,
        metrics=compute_metrics(
            equity, times, exposure, account.trades, account.fees_paid, config.initial_cash
        ),
    )
