"""Orders in the backtesting engine, bar by bar: limit, stop, stop-limit, trailing, brackets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.sizing import FIXED_NOTIONAL, FRACTION_OF_EQUITY, Sizing
from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    FeeModel,
    run_backtest,
    run_event_backtest,
    run_portfolio_backtest,
    simulate,
)
from crypto_trader.strategy.domain.framework import SignalFrame, create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame

STRATEGY = create_strategy("sma_cross")
NO_FEE = {"initial_cash": 1000.0, "fee_rate": 0.0}


def _frame(bars: list[tuple[float, float, float, float]], volume: float = 1.0) -> CandleFrame:
    table = np.asarray(bars, dtype=np.float64)
    count = len(bars)
    times = np.arange(count, dtype=np.int64) * 60_000
    return CandleFrame(
        times, table[:, 0], table[:, 1], table[:, 2], table[:, 3], np.full(count, volume)
    )


def _signals(count: int, **marks: list[int]) -> SignalFrame:
    arrays = {}
    for kind in ("enter_long", "exit_long", "enter_short", "exit_short"):
        array = np.zeros(count, dtype=np.bool_)
        array[marks.get(kind, [])] = True
        arrays[kind] = array
    return SignalFrame(**arrays)


@dataclass(frozen=True)
class HintedSignals(SignalFrame):
    stop_loss: np.ndarray | None = None
    take_profit: np.ndarray | None = None
    trailing_stop: np.ndarray | None = None


class EnterOnFirstCandle:
    name = "enter_on_first_candle"
    params: dict[str, object] = {}  # noqa: RUF012 - read only

    def generate(self, frame: CandleFrame) -> SignalFrame:
        return _signals(len(frame), enter_long=[0])


# (open, high, low, close): signal on bar 0 closes at 100.
FLAT = (100.0, 100.0, 100.0, 100.0)


class TestProtectiveOrders:
    def test_stop_loss_fills_at_its_price_when_the_low_reaches_it(self) -> None:
        frame = _frame([FLAT, (100, 101, 99, 100), (100, 100.5, 94, 96), (96, 97, 95, 96)])
        config = BacktestConfig(**NO_FEE, stop_loss=0.05)

        result = simulate(frame, _signals(4, enter_long=[0]), STRATEGY, config)

        (trade,) = result.trades
        assert (trade.entry_bar, trade.exit_bar, trade.exit_reason) == (1, 2, "stop")
        assert trade.exit_price == pytest.approx(95.0)

    def test_stop_wins_when_stop_and_take_profit_lie_inside_one_bar(self) -> None:
        frame = _frame([FLAT, (100, 100, 100, 100), (100, 111, 94, 100), FLAT])
        config = BacktestConfig(**NO_FEE, stop_loss=0.05, take_profit=0.10)

        (trade,) = simulate(frame, _signals(4, enter_long=[0]), STRATEGY, config).trades

        assert (trade.exit_bar, trade.exit_reason, trade.exit_price) == (2, "stop", 95.0)

    def test_take_profit_fills_at_its_price_as_a_maker(self) -> None:
        frame = _frame([FLAT, (100, 100, 100, 100), (100, 111, 99, 108), FLAT])
        fees = FeeModel(maker=0.0, taker=0.01)
        config = BacktestConfig(initial_cash=1000.0, fee_model=fees, take_profit=0.10)

        (trade,) = simulate(frame, _signals(4, enter_long=[0]), STRATEGY, config).trades

        assert (trade.exit_reason, trade.exit_price) == ("take_profit", pytest.approx(110.0))
        assert trade.fees == pytest.approx(trade.size * 100.0 * 0.01)  # entry taker, exit maker

    def test_gap_through_the_stop_fills_at_the_open(self) -> None:
        frame = _frame([FLAT, (100, 100, 100, 100), (90, 92, 89, 91), FLAT])
        config = BacktestConfig(**NO_FEE, stop_loss=0.05)

        (trade,) = simulate(frame, _signals(4, enter_long=[0]), STRATEGY, config).trades

        assert trade.exit_price == 90.0

    def test_short_checks_the_high_first(self) -> None:
        frame = _frame([FLAT, (100, 100, 100, 100), (100, 106, 89, 100), FLAT])
        config = BacktestConfig(**NO_FEE, stop_loss=0.05, take_profit=0.10)

        (trade,) = simulate(frame, _signals(4, enter_short=[0]), STRATEGY, config).trades

        assert (trade.side, trade.exit_reason, trade.exit_price) == ("short", "stop", 105.0)
        assert trade.pnl == pytest.approx(-trade.size * 5.0)

    def test_trailing_stop_follows_the_high_of_earlier_bars(self) -> None:
        bars = [FLAT, (100, 100, 100, 100), (100, 120, 100, 119), (119, 119, 107, 110), FLAT]
        config = BacktestConfig(**NO_FEE, trailing_stop=0.10)

        (trade,) = simulate(
            frame := _frame(bars), _signals(5, enter_long=[0]), STRATEGY, config
        ).trades

        # Bar 2 raises the peak to 120 after its own check; bar 3's low 107 hits 120 * 0.9 = 108.
        assert (trade.exit_bar, trade.exit_price) == (3, pytest.approx(108.0))
        assert len(frame) == 5

    def test_signal_hints_override_the_config(self) -> None:
        frame = _frame([FLAT, (100, 100, 100, 100), (100, 103, 97, 100), FLAT])
        hints = np.full(4, np.nan)
        hints[0] = 102.0
        base = _signals(4, enter_long=[0])
        signals = HintedSignals(
            base.enter_long, base.exit_long, base.enter_short, base.exit_short, take_profit=hints
        )

        result = simulate(frame, signals, STRATEGY, BacktestConfig(**NO_FEE, take_profit=0.5))

        (trade,) = result.trades
        assert (trade.exit_reason, trade.exit_price) == ("take_profit", 102.0)


class TestEntryOrders:
    def test_limit_buy_rests_until_the_low_reaches_it_and_pays_the_maker_fee(self) -> None:
        bars = [FLAT, (100, 101, 99, 100), (100, 100, 97, 98), (98, 99, 97, 98)]
        fees = FeeModel(maker=0.001, taker=0.01)
        config = BacktestConfig(
            initial_cash=1000.0, fee_model=fees, order_type="limit", entry_offset_bps=200
        )

        result = simulate(_frame(bars), _signals(4, enter_long=[0]), STRATEGY, config)

        position = result.open_position
        assert position is not None
        assert (position.entry_bar, position.entry_price) == (2, 98.0)
        assert position.fees == pytest.approx(position.size * 98.0 * 0.001)
        assert position.size == pytest.approx(1000.0 / (98.0 * 1.001))

    def test_limit_buy_fills_at_a_better_open(self) -> None:
        bars = [FLAT, (97, 99, 96, 98), FLAT]
        config = BacktestConfig(**NO_FEE, order_type="limit", entry_offset_bps=200)

        result = simulate(_frame(bars), _signals(3, enter_long=[0]), STRATEGY, config)

        assert result.open_position is not None and result.open_position.entry_price == 97.0

    def test_stop_buy_fills_when_the_high_reaches_it(self) -> None:
        bars = [FLAT, (100, 101, 99, 100), (100, 104, 99, 103), FLAT]
        config = BacktestConfig(**NO_FEE, order_type="stop", entry_offset_bps=300)

        result = simulate(_frame(bars), _signals(4, enter_long=[0]), STRATEGY, config)

        position = result.open_position
        assert position is not None and (position.entry_bar, position.entry_price) == (2, 103.0)

    def test_stop_limit_gapping_past_its_limit_rests_as_a_limit(self) -> None:
        # Stop 101, limit 102: bar 1 opens at 105 (past the limit), bar 2 comes back to 102.
        bars = [FLAT, (105, 106, 104, 105), (104, 104, 101.5, 102), FLAT]
        config = BacktestConfig(
            **NO_FEE, order_type="stop_limit", entry_offset_bps=100, limit_offset_bps=99.0099
        )

        result = simulate(_frame(bars), _signals(4, enter_long=[0]), STRATEGY, config)

        position = result.open_position
        assert position is not None and position.entry_bar == 2
        assert position.entry_price == pytest.approx(102.0, rel=1e-6)

    def test_trailing_stop_entry_follows_the_low_down(self) -> None:
        # Trail 5 %: level 105, then the low 90 pulls it to 94.5, bar 3 reaches it.
        bars = [FLAT, (100, 101, 90, 92), (92, 95, 91, 93), FLAT]
        config = BacktestConfig(**NO_FEE, order_type="trailing_stop", entry_offset_bps=500)

        result = simulate(_frame(bars), _signals(4, enter_long=[0]), STRATEGY, config)

        position = result.open_position
        assert position is not None and position.entry_bar == 2
        assert position.entry_price == pytest.approx(94.5)

    def test_an_exit_signal_cancels_the_resting_entry(self) -> None:
        bars = [FLAT, (100, 101, 99, 100), (100, 100, 90, 95), FLAT]
        config = BacktestConfig(**NO_FEE, order_type="limit", entry_offset_bps=500)

        result = simulate(
            _frame(bars), _signals(4, enter_long=[0], exit_long=[1]), STRATEGY, config
        )

        assert result.open_position is None and result.trades == ()

    def test_rejects_unknown_order_type(self) -> None:
        with pytest.raises(InvalidInput, match="order type"):
            BacktestConfig(order_type="iceberg")


class TestSizing:
    def test_fixed_notional_rounded_down_to_the_lot_step(self) -> None:
        bars = [FLAT, (100, 100, 100, 100), FLAT]
        config = BacktestConfig(**NO_FEE, sizing=Sizing(FIXED_NOTIONAL, 250.0, 0.3))

        result = simulate(_frame(bars), _signals(3, enter_long=[0]), STRATEGY, config)

        assert result.open_position is not None
        assert result.open_position.size == pytest.approx(2.4)  # 8 steps of 0.3

    def test_fraction_of_equity(self) -> None:
        config = BacktestConfig(**NO_FEE, sizing=Sizing(FRACTION_OF_EQUITY, 0.25))

        result = simulate(_frame([FLAT] * 3), _signals(3, enter_long=[0]), STRATEGY, config)

        assert result.open_position is not None and result.open_position.size == 2.5


class TestPortfolio:
    def test_two_symbols_share_one_account(self) -> None:
        frames = {
            "BTC/USDT": _frame([FLAT, FLAT, (100, 110, 100, 110)]),
            "ETH/USDT": _frame([FLAT, FLAT, (100, 100, 90, 90)]),
        }
        config = BacktestConfig(**NO_FEE, sizing=Sizing(FRACTION_OF_EQUITY, 0.5))
        strategies = {symbol: EnterOnFirstCandle() for symbol in frames}

        result = run_portfolio_backtest(strategies, frames, config)  # type: ignore[arg-type]

        # Half the equity each: 5 units at 100; BTC gains 50, ETH loses 50.
        np.testing.assert_allclose(result.equity, [1000.0, 1000.0, 1000.0])
        assert result.positions["BTC/USDT"][-1] == 5.0
        assert result.positions["ETH/USDT"][-1] == 5.0
        assert result.cash == 0.0

    def test_rejects_unaligned_candles(self) -> None:
        frames = {"A": _frame([FLAT, FLAT]), "B": _frame([FLAT])}
        strategies = {symbol: create_strategy("sma_cross") for symbol in frames}

        with pytest.raises(InvalidInput, match="aligned"):
            run_portfolio_backtest(strategies, frames, BacktestConfig())


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    order_type=st.sampled_from(["market", "limit", "stop", "stop_limit", "trailing_stop"]),
    stop_loss=st.sampled_from([None, 0.01]),
    take_profit=st.sampled_from([None, 0.02]),
    trailing=st.sampled_from([None, 0.015]),
    short=st.booleans(),
)
def test_fast_path_equals_event_path_with_resting_orders(
    seed: int,
    order_type: str,
    stop_loss: float | None,
    take_profit: float | None,
    trailing: float | None,
    short: bool,
) -> None:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    opens = np.concatenate(([100.0], close[:-1]))
    spread = np.abs(rng.normal(0, 0.005, 300)) * close
    bars = list(
        zip(
            opens,
            np.maximum(opens, close) + spread,
            np.minimum(opens, close) - spread,
            close,
            strict=True,
        )
    )
    config = BacktestConfig(
        order_type=order_type,
        entry_offset_bps=50,
        limit_offset_bps=20,
        stop_loss=stop_loss,
        take_profit=take_profit,
        trailing_stop=trailing,
    )
    params = {"fast": 3, "slow": 8, "short": short}

    fast = run_backtest(create_strategy("sma_cross", params), _frame(bars), config)
    event = run_event_backtest(create_strategy("sma_cross", params), _frame(bars), config)

    assert fast.trades == event.trades
    np.testing.assert_array_equal(fast.equity, event.equity)
