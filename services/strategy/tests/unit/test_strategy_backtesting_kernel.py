"""The compiled fast-path kernel gives exactly the Python loop's result, field by field."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.sizing import Sizing
from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    FeeModel,
    FixedSlippage,
    SpreadSlippage,
    kernel,
    simulate,
)
from crypto_trader.strategy.domain.framework import SignalFrame, create_strategy, cross_kernel
from crypto_trader.strategy.domain.indicators import CandleFrame

STRATEGY = create_strategy("sma_cross", {"fast": 2, "slow": 3})


def _frame(rng: np.random.Generator, count: int) -> CandleFrame:
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.02, count)))
    opens = np.concatenate(([100.0], close[:-1] * np.exp(rng.normal(0, 0.002, count - 1))))
    times = 1_700_000_000_000 + np.arange(count, dtype=np.int64) * 60_000
    return CandleFrame(
        times, opens, np.maximum(opens, close), np.minimum(opens, close), close, np.ones(count)
    )


def _assert_same(compiled: object, python: object) -> None:
    for name in ("trades", "open_position", "cash", "fees_paid", "fills", "metrics"):
        assert getattr(compiled, name) == getattr(python, name), name
    for name in ("equity", "position", "drawdown", "open_time_ms"):
        np.testing.assert_array_equal(getattr(compiled, name), getattr(python, name))
    assert compiled.final_equity == python.final_equity


def test_the_compiled_kernels_are_in_use() -> None:
    # numba is a dependency of the strategy service: without it every "compiled" test below
    # would only compare the Python fallback with itself.
    assert kernel.AVAILABLE and cross_kernel.AVAILABLE


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    count=st.integers(2, 200),
    density=st.sampled_from([0.02, 0.2, 0.6]),
    short=st.booleans(),
    fee=st.sampled_from([0.0, 0.001, 0.0075]),
    slippage=st.sampled_from([0.0, 3.0, 25.0]),
    sizing=st.sampled_from(
        [
            None,
            Sizing(quantity_step=0.001),
            Sizing("fixed_notional", 2500.0),
            Sizing("fraction_of_equity", 0.4, 0.01),
        ]
    ),
    maker_taker=st.booleans(),
)
def test_compiled_kernel_equals_python_loop(
    seed: int,
    count: int,
    density: float,
    short: bool,
    fee: float,
    slippage: float,
    sizing: Sizing | None,
    maker_taker: bool,
) -> None:
    rng = np.random.default_rng(seed)
    frame = _frame(rng, count)
    flags = rng.random((4, count)) < density
    if not short:
        flags[2:] = False
    signals = SignalFrame(flags[0], flags[1], flags[2], flags[3])
    config = BacktestConfig(
        10_000.0,
        fee,
        sizing=sizing,
        fee_model=FeeModel(0.0002, 0.0009) if maker_taker else None,
        slippage_model=FixedSlippage(slippage),
    )

    compiled = simulate(frame, signals, STRATEGY, config)
    python = simulate(frame, signals, STRATEGY, config, compiled=False)

    _assert_same(compiled, python)


def test_sma_cross_on_a_long_walk_is_the_same_compiled_or_not() -> None:
    frame = _frame(np.random.default_rng(7), 50_000)
    strategy = create_strategy("sma_cross", {"fast": 5, "slow": 20, "short": True})
    signals = strategy.generate(frame)
    config = BacktestConfig(10_000.0, 0.001, 2.0)

    compiled = simulate(frame, signals, strategy, config)

    assert len(compiled.trades) > 1000
    _assert_same(compiled, simulate(frame, signals, strategy, config, compiled=False))


def test_other_slippage_models_keep_the_python_loop() -> None:
    frame = _frame(np.random.default_rng(3), 300)
    signals = STRATEGY.generate(frame)
    config = BacktestConfig(10_000.0, slippage_model=SpreadSlippage())
    calls: list[tuple[int, int]] = []

    result = simulate(frame, signals, STRATEGY, config, on_progress=lambda *p: calls.append(p))

    assert calls[-1][0] == calls[-1][1] and len(calls) > 1
    _assert_same(result, simulate(frame, signals, STRATEGY, config, compiled=False))


def test_a_reversal_at_every_open_fits_the_trade_arrays() -> None:
    # The kernel sizes its trade arrays by the candles with a signal: here every candle has one.
    count = 400
    frame = _frame(np.random.default_rng(5), count)
    even = np.arange(count) % 2 == 0
    signals = SignalFrame(even, ~even, ~even, even)
    config = BacktestConfig(10_000.0, 0.001)

    compiled = simulate(frame, signals, STRATEGY, config)

    assert len(compiled.trades) == count - 2
    _assert_same(compiled, simulate(frame, signals, STRATEGY, config, compiled=False))


def _long_only_walk(count: int) -> tuple[CandleFrame, SignalFrame]:
    # Long only: about half the candles lie in flat stretches; the spacing is uneven.
    rng = np.random.default_rng(11)
    frame = _frame(rng, count)
    times = frame.open_time_ms + np.cumsum(rng.integers(0, 2, count)) * 60_000
    frame = CandleFrame(times, frame.open, frame.high, frame.low, frame.close, frame.volume)
    return frame, create_strategy("sma_cross", {"fast": 5, "slow": 20}).generate(frame)


def test_long_only_run_over_many_blocks_measures_its_curve_as_the_python_path() -> None:
    frame, signals = _long_only_walk(30_000)
    config = BacktestConfig(10_000.0, 0.001)

    compiled = simulate(frame, signals, STRATEGY, config)

    assert len(compiled.trades) > 500 and 0.3 < compiled.metrics.exposure < 0.7
    _assert_same(compiled, simulate(frame, signals, STRATEGY, config, compiled=False))


def test_a_flat_stretch_whose_equity_is_not_the_cash_is_measured_candle_by_candle() -> None:
    # A NaN close makes the equity NaN there even without a position (cash + 0 * NaN).
    frame, signals = _long_only_walk(12_000)
    config = BacktestConfig(10_000.0, 0.001)
    flat = np.flatnonzero(simulate(frame, signals, STRATEGY, config).position == 0)
    close = frame.close.copy()
    close[flat[len(flat) // 2]] = np.nan
    frame = CandleFrame(frame.open_time_ms, frame.open, frame.high, frame.low, close, frame.volume)

    compiled = simulate(frame, signals, STRATEGY, config)
    python = simulate(frame, signals, STRATEGY, config, compiled=False)

    assert np.isnan(compiled.equity).sum() == 1
    np.testing.assert_array_equal(compiled.equity, python.equity)
    np.testing.assert_equal(compiled.metrics.as_dict(), python.metrics.as_dict())


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(0, 90),
    density=st.sampled_from([0.0, 0.03, 0.3, 1.0]),
    seed=st.integers(0, 2**32 - 1),
    long_only=st.booleans(),
)
def test_signal_bars_are_the_candles_before_the_last_with_any_signal(
    count: int, density: float, seed: int, long_only: bool
) -> None:
    rng = np.random.default_rng(seed)
    flags = rng.random((4, count)) < density
    if long_only:
        flags[2:] = False

    bars = kernel.signal_bars_of(*flags)

    expected = np.flatnonzero(flags.any(axis=0))
    np.testing.assert_array_equal(bars, expected[expected < count - 1])
