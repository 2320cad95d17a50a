"""The backtesting engine: next-open fills, fees, slippage, shorts, metrics, fast = event path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    run_backtest,
    run_event_backtest,
    simulate,
)
from crypto_trader.strategy.domain.framework import SignalFrame, create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame


def _frame(opens: list[float], closes: list[float]) -> CandleFrame:
    count = len(opens)
    o, c = np.asarray(opens, dtype=np.float64), np.asarray(closes, dtype=np.float64)
    times = np.arange(count, dtype=np.int64) * 300_000
    return CandleFrame(times, o, np.maximum(o, c), np.minimum(o, c), c, np.ones(count))


def _signals(count: int, **marks: list[int]) -> SignalFrame:
    arrays = {}
    for kind in ("enter_long", "exit_long", "enter_short", "exit_short"):
        array = np.zeros(count, dtype=np.bool_)
        array[marks.get(kind, [])] = True
        arrays[kind] = array
    return SignalFrame(**arrays)


OPENS = [100.0, 101.0, 102.0, 110.0, 120.0, 118.0, 90.0, 95.0]
CLOSES = [101.0, 102.0, 109.0, 119.0, 117.0, 91.0, 94.0, 96.0]
STRATEGY = create_strategy("sma_cross")


class TestFills:
    def test_long_fills_at_next_open_all_in_with_fee_and_slippage(self) -> None:
        frame = _frame(OPENS, CLOSES)
        config = BacktestConfig(initial_cash=1000.0, fee_rate=0.001, slippage_bps=10)

        result = simulate(frame, _signals(8, enter_long=[1], exit_long=[4]), STRATEGY, config)

        buy, sell = 102.0 * 1.001, 118.0 * 0.999
        size = 1000.0 / (buy * 1.001)
        (trade,) = result.trades
        assert (trade.side, trade.entry_bar, trade.exit_bar) == ("long", 2, 5)
        assert trade.entry_price == pytest.approx(buy) and trade.exit_price == pytest.approx(sell)
        assert trade.size == pytest.approx(size)
        fees = size * buy * 0.001 + size * sell * 0.001
        assert trade.fees == pytest.approx(fees)
        assert trade.pnl == pytest.approx(size * (sell - buy) - fees)
        assert result.final_equity == pytest.approx(1000.0 + trade.pnl)
        assert result.fees_paid == pytest.approx(fees)
        assert result.equity[3] == pytest.approx(1000.0 - size * buy * 0.001 + size * (119 - buy))

    def test_reversal_closes_the_long_then_opens_a_short_sized_from_the_proceeds(self) -> None:
        frame = _frame(OPENS, CLOSES)
        signals = _signals(8, enter_long=[0], exit_long=[4], enter_short=[4], exit_short=[6])
        config = BacktestConfig(initial_cash=1000.0, fee_rate=0.0)

        result = simulate(frame, signals, STRATEGY, config)

        long, short = result.trades
        assert (long.side, long.exit_bar, short.side, short.entry_bar, short.exit_bar) == (
            "long",
            5,
            "short",
            5,
            7,
        )
        assert short.size == pytest.approx((1000.0 + long.pnl) / 118.0)
        assert short.pnl == pytest.approx(short.size * (118.0 - 95.0))
        assert result.final_equity == pytest.approx(1000.0 + long.pnl + short.pnl)

    def test_signal_on_last_candle_is_not_filled_and_open_position_is_marked(self) -> None:
        frame = _frame(OPENS, CLOSES)

        result = simulate(
            frame, _signals(8, enter_long=[5], exit_long=[7]), STRATEGY, BacktestConfig(1000.0, 0)
        )

        assert result.trades == ()
        assert result.open_position is not None and result.open_position.entry_bar == 6
        assert result.final_equity == pytest.approx(1000.0 / 90.0 * 96.0)

    def test_quantity_step_floors_the_size(self) -> None:
        frame = _frame(OPENS, CLOSES)
        config = BacktestConfig(initial_cash=1000.0, fee_rate=0.0, quantity_step=0.5)

        result = simulate(frame, _signals(8, enter_long=[0]), STRATEGY, config)

        assert result.open_position is not None and result.open_position.size == 9.5

    @pytest.mark.parametrize(
        "config",
        [{"initial_cash": 0}, {"fee_rate": 1.0}, {"slippage_bps": -1}, {"quantity_step": -1}],
    )
    def test_rejects_bad_configuration(self, config: dict[str, float]) -> None:
        with pytest.raises(InvalidInput):
            BacktestConfig(**config)


class TestMetrics:
    def test_metrics_from_a_known_losing_run(self) -> None:
        frame = _frame(OPENS, CLOSES)

        result = simulate(
            frame, _signals(8, enter_long=[0], exit_long=[5]), STRATEGY, BacktestConfig(1000.0, 0)
        )
        metrics = result.metrics

        (trade,) = result.trades
        assert trade.pnl == pytest.approx(1000.0 / 101.0 * (90.0 - 101.0))
        assert (metrics.trades, metrics.win_rate, metrics.profit_factor) == (1, 0.0, 0.0)
        assert metrics.expectancy == pytest.approx(trade.pnl)
        assert metrics.total_return == pytest.approx(trade.pnl / 1000.0)
        assert metrics.exposure == pytest.approx(5 / 8)  # held over candles 1 to 5
        # Peak at the close of candle 3 (119); under water from candle 4 to the end.
        assert metrics.max_drawdown == pytest.approx(90.0 / 119.0 - 1)
        np.testing.assert_allclose(result.drawdown[4:], result.equity[4:] / result.equity[3] - 1)
        assert metrics.max_drawdown_duration_bars == 4
        assert metrics.max_drawdown_duration_ms == 4 * 300_000
        assert metrics.sharpe is not None and metrics.sortino is not None
        assert metrics.cagr is not None and metrics.cagr == pytest.approx(-1.0)
        assert metrics.calmar == pytest.approx(metrics.cagr / -metrics.max_drawdown)

    def test_no_trades_leave_trade_ratios_undefined(self) -> None:
        result = simulate(_frame(OPENS, CLOSES), _signals(8), STRATEGY, BacktestConfig(1000.0))

        assert result.final_equity == 1000.0
        assert (result.metrics.trades, result.metrics.win_rate, result.metrics.sharpe) == (
            0,
            None,
            None,
        )


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(["sma_cross", "ema_cross"]),
    fast=st.integers(1, 8),
    extra=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
    short=st.booleans(),
    slippage=st.sampled_from([0.0, 5.0]),
)
def test_fast_path_equals_event_path(
    name: str, fast: int, extra: int, seed: int, short: bool, slippage: float
) -> None:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    opens = np.concatenate(([100.0], close[:-1] * np.exp(rng.normal(0, 0.001, 299))))
    frame = _frame(opens.tolist(), close.tolist())
    params = {"fast": fast, "slow": fast + extra, "short": short}
    config = BacktestConfig(10_000.0, 0.001, slippage)

    fast_result = run_backtest(create_strategy(name, params), frame, config)
    event_result = run_event_backtest(create_strategy(name, params), frame, config)

    assert fast_result.trades == event_result.trades
    assert fast_result.open_position == event_result.open_position
    np.testing.assert_array_equal(fast_result.equity, event_result.equity)
    assert fast_result.metrics == event_result.metrics
