"""Performance metrics of a backtest from its equity curve and closed trades."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from crypto_trader.strategy.domain.backtesting import kernel
from crypto_trader.strategy.domain.backtesting.account import Trade
from crypto_trader.strategy.domain.backtesting.trade_log import TradeLog
from crypto_trader.strategy.domain.indicators.frame import FloatArray, IntArray

YEAR_MS = 365 * 86_400_000  # crypto trades every day of the year


@dataclass(frozen=True, slots=True)
class Metrics:
    """Summary statistics; ratios are None where undefined (no trades, no losses, no variance)."""

    total_return: float
    cagr: float | None
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    max_drawdown: float
    max_drawdown_duration_bars: int
    max_drawdown_duration_ms: int
    win_rate: float | None
    profit_factor: float | None
    expectancy: float | None
    average_trade_return: float | None
    exposure: float
    trades: int
    fees_paid: float

    def as_dict(self) -> dict[str, float | int | None]:
        """Return the metrics as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CurveStats:
    """What the metrics need from an equity curve: its drawdowns and its per-bar returns."""

    max_drawdown: float
    duration_bars: int
    duration_ms: int
    mean_return: float
    return_deviation: float  # sample standard deviation (ddof=1)
    downside_deviation: float  # root mean square of the negative returns
    bar_spacing_ms: float  # the median spacing of the open times


def drawdown_curve(equity: FloatArray) -> FloatArray:
    """Return the drawdown of each bar: equity over its running peak, minus one (<= 0)."""
    if len(equity) == 0:
        return np.zeros(0)
    peak = np.maximum.accumulate(equity)
    return np.asarray(equity / peak - 1.0, dtype=np.float64)


def curve_stats(
    equity: FloatArray, open_time_ms: IntArray, initial_cash: float, *, compiled: bool = True
) -> CurveStats:
    """Compute the curve's statistics, in the compiled kernel when numba is installed.

    Returns are per bar, from ``initial_cash`` to the first close and then close to close. The
    compiled and numpy results agree to rounding (see ``kernel``).
    """
    if compiled and kernel.AVAILABLE:
        raw = kernel.curve_stats(
            np.ascontiguousarray(equity, dtype=np.float64),
            np.ascontiguousarray(open_time_ms, dtype=np.int64),
            float(initial_cash),
        )
        return compiled_curve_stats(raw, open_time_ms)
    return _numpy_curve_stats(equity, open_time_ms, initial_cash)


def compiled_curve_stats(
    raw: tuple[float, int, int, float, float, float, int], open_time_ms: IntArray
) -> CurveStats:
    """Turn the compiled kernel's curve statistics (``kernel.curve_stats``) into ``CurveStats``."""
    deepest, start, end, mean, deviation, downside, spacing = raw
    bars, duration_ms = _run_duration(int(start), int(end), open_time_ms)
    # The kernel only checks that the candles are evenly spaced (-1: they are not).
    median = float(spacing) if spacing >= 0 else float(np.median(np.diff(open_time_ms)))
    return CurveStats(
        float(deepest), bars, duration_ms, float(mean), float(deviation), float(downside), median
    )


def _numpy_curve_stats(
    equity: FloatArray, open_time_ms: IntArray, initial_cash: float
) -> CurveStats:
    drawdown = drawdown_curve(equity)
    max_drawdown = float(drawdown.min()) if len(drawdown) else 0.0
    duration_bars, duration_ms = _longest_underwater(drawdown, open_time_ms)
    mean = deviation = downside = spacing = 0.0
    if len(equity) > 1:
        spacing = _median_spacing(open_time_ms)
        returns = np.diff(np.concatenate(([initial_cash], equity))) / np.concatenate(
            ([initial_cash], equity[:-1])
        )
        mean = float(returns.mean())
        deviation = float(returns.std(ddof=1))
        downside = float(np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2)))
    return CurveStats(max_drawdown, duration_bars, duration_ms, mean, deviation, downside, spacing)


def _run_duration(start: int, end: int, open_time_ms: IntArray) -> tuple[int, int]:
    # Bars ``[start, end)`` under water: their count, and the time from the peak before them.
    if end == start:
        return 0, 0
    peak_ms = int(open_time_ms[max(start - 1, 0)])
    return end - start, int(open_time_ms[end - 1]) - peak_ms


def _longest_underwater(drawdown: FloatArray, open_time_ms: IntArray) -> tuple[int, int]:
    # Longest run of bars below the previous peak (the first on a tie).
    underwater = np.concatenate(([False], drawdown < 0, [False]))
    edges = np.flatnonzero(np.diff(underwater.astype(np.int8)))
    if len(edges) == 0:
        return 0, 0
    starts, ends = edges[::2], edges[1::2]
    longest = int(np.argmax(ends - starts))
    return _run_duration(int(starts[longest]), int(ends[longest]), open_time_ms)


def _median_spacing(open_time_ms: IntArray) -> float:
    spacing = np.diff(open_time_ms)
    first = spacing[0]
    # Evenly spaced candles (the usual case): the median is that spacing, without a sort.
    if spacing.min() == first == spacing.max():
        return float(first)
    return float(np.median(spacing))


def _ratio(numerator: float, denominator: float) -> float | None:
    if denominator == 0 or not math.isfinite(denominator):
        return None
    return numerator / denominator


def compute_metrics(
    equity: FloatArray,
    open_time_ms: IntArray,
    exposure: float,
    trades: Sequence[Trade],
    fees_paid: float,
    initial_cash: float,
    *,
    curve: CurveStats | None = None,
) -> Metrics:
    """Compute every metric; returns are per bar, annualised by the median bar spacing.

    ``curve`` (``curve_stats``) may be passed when already computed; a ``TradeLog`` gives its
    trades' PnL as columns without building the trades.
    """
    final = float(equity[-1]) if len(equity) else initial_cash
    total_return = final / initial_cash - 1.0
    if curve is None:
        curve = curve_stats(equity, open_time_ms, initial_cash)
    max_drawdown = curve.max_drawdown
    cagr = sharpe = sortino = calmar = None
    if len(equity) > 1:
        span_years = (int(open_time_ms[-1]) - int(open_time_ms[0])) / YEAR_MS
        if span_years > 0 and final > 0:
            growth = math.log(final / initial_cash) / span_years
            # Over a few minutes a tiny return annualises past any float: undefined, not inf.
            cagr = math.expm1(growth) if growth < 700 else None
        mean, deviation, downside = (
            curve.mean_return,
            curve.return_deviation,
            curve.downside_deviation,
        )
        scale = math.sqrt(YEAR_MS / curve.bar_spacing_ms)
        sharpe = None if deviation == 0 else mean / deviation * scale
        sortino = None if downside == 0 else mean / downside * scale
        calmar = None if cagr is None else _ratio(cagr, -max_drawdown)
    if isinstance(trades, TradeLog):
        pnls, returns_pct = trades.pnl_and_return_pct()
    else:
        pnls = np.array([trade.pnl for trade in trades], dtype=np.float64)
        returns_pct = np.array([trade.return_pct for trade in trades], dtype=np.float64)
    win_rate = profit_factor = expectancy = average_return = None
    if len(pnls):
        win_rate = float((pnls > 0).mean())
        profit_factor = _ratio(float(pnls[pnls > 0].sum()), -float(pnls[pnls < 0].sum()))
        expectancy = float(pnls.mean())
        average_return = float(returns_pct.mean())
    return Metrics(
        total_return=total_return,
        cagr=cagr,
        sharpe=sharpe,
        sortino=sortino,
        calmar=calmar,
        max_drawdown=max_drawdown,
        max_drawdown_duration_bars=curve.duration_bars,
        max_drawdown_duration_ms=curve.duration_ms,
        win_rate=win_rate,
        profit_factor=profit_factor,
        expectancy=expectancy,
        average_trade_return=average_return,
        exposure=exposure,
        trades=len(trades),
        fees_paid=fees_paid,
    )
