"""The compiled equity-curve statistics (``kernel.curve_stats``) against the numpy reference.

Drawdowns, run lengths and bar spacing must be equal exactly. The return statistics (mean,
standard deviation, downside deviation, and the Sharpe and Sortino ratios made from them) are
summed in another order than numpy's pairwise sums, so bit equality is not possible: they are
compared within 1e-9 relative (the mean also within 1e-15 absolute, as it can cancel to ~0).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    compute_metrics,
    run_backtest,
)
from crypto_trader.strategy.domain.backtesting.metrics import CurveStats, curve_stats
from crypto_trader.strategy.domain.framework import create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame

REL = 1e-9


def _assert_close(compiled: CurveStats, reference: CurveStats) -> None:
    exact = ("max_drawdown", "duration_bars", "duration_ms", "bar_spacing_ms")
    for name in exact:
        assert getattr(compiled, name) == getattr(reference, name), name
    assert compiled.mean_return == pytest.approx(reference.mean_return, rel=REL, abs=1e-15)
    assert compiled.return_deviation == pytest.approx(reference.return_deviation, rel=REL)
    assert compiled.downside_deviation == pytest.approx(reference.downside_deviation, rel=REL)


def _curve(seed: int, count: int, flat: float, uneven: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.01, count)
    steps[rng.random(count) < flat] = 0.0  # flat stretches: no position, equity unchanged
    equity = 1000.0 * np.exp(np.cumsum(steps))
    gaps = rng.integers(1, 4, count) * 60_000 if uneven else np.full(count, 60_000)
    return equity, 1_700_000_000_000 + np.cumsum(gaps).astype(np.int64)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.one_of(st.integers(1, 40), st.integers(4000, 9000)),
    flat=st.sampled_from([0.0, 0.5, 0.95]),
    uneven=st.booleans(),
)
def test_compiled_curve_stats_equal_numpy_within_rounding(
    seed: int, count: int, flat: float, uneven: bool
) -> None:
    equity, times = _curve(seed, count, flat, uneven)

    compiled = curve_stats(equity, times, 1000.0)
    reference = curve_stats(equity, times, 1000.0, compiled=False)

    _assert_close(compiled, reference)


def test_a_curve_under_water_to_the_end_and_a_new_peak_at_the_end() -> None:
    times = np.arange(6, dtype=np.int64) * 60_000
    for equity in ([100.0, 120.0, 90.0, 95.0, 80.0, 85.0], [100.0, 90.0, 95.0, 99.0, 98.0, 101.0]):
        values = np.array(equity)

        compiled = curve_stats(values, times, 100.0)

        _assert_close(compiled, curve_stats(values, times, 100.0, compiled=False))
        assert compiled.duration_bars == 4


def test_a_curve_that_reaches_zero_equity_gives_what_numpy_gives_instead_of_raising() -> None:
    equity = np.array([10_000.0, 5_000.0, 0.0, 0.0, 100.0])
    times = np.arange(5, dtype=np.int64) * 60_000

    compiled = curve_stats(equity, times, 10_000.0)

    with np.errstate(divide="ignore", invalid="ignore"):
        reference = curve_stats(equity, times, 10_000.0, compiled=False)
    exact = ("max_drawdown", "duration_bars", "duration_ms", "bar_spacing_ms")
    assert [getattr(compiled, n) for n in exact] == [getattr(reference, n) for n in exact]
    assert compiled.max_drawdown == -1.0
    assert np.isnan(compiled.mean_return) and np.isnan(reference.mean_return)


def test_flat_equity_leaves_every_deviation_zero() -> None:
    equity = np.full(5000, 1000.0)

    compiled = curve_stats(equity, np.arange(5000, dtype=np.int64), 1000.0)

    assert (compiled.return_deviation, compiled.downside_deviation) == (0.0, 0.0)
    assert (compiled.max_drawdown, compiled.duration_bars) == (0.0, 0)


def test_metrics_of_a_long_backtest_equal_the_numpy_metrics_within_rounding() -> None:
    rng = np.random.default_rng(17)
    count = 300_000
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.0008, count)))
    opens = np.concatenate(([30_000.0], close[:-1]))
    times = 1_700_000_000_000 + np.arange(count, dtype=np.int64) * 60_000
    high, low = np.maximum(opens, close), np.minimum(opens, close)
    frame = CandleFrame(times, opens, high, low, close, np.ones(count))
    result = run_backtest(
        create_strategy("sma_cross", {"fast": 20, "slow": 50, "short": True}),
        frame,
        BacktestConfig(10_000.0, 0.0002),
    )
    exposure = result.metrics.exposure
    arguments = (result.equity, times, exposure, result.trades, result.fees_paid, 10_000.0)

    reference = compute_metrics(
        *arguments, curve=curve_stats(result.equity, times, 10_000.0, compiled=False)
    )

    assert result.metrics.trades == reference.trades > 1000
    for name, value in result.metrics.as_dict().items():
        expected = reference.as_dict()[name]
        if name in {"sharpe", "sortino"}:
            assert value == pytest.approx(expected, rel=REL), name
        else:
            assert value == expected, name
