"""The trade log: columns turned into trades on demand, equal to the trades it stands for."""

from __future__ import annotations

import numpy as np
import pytest

from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    EventBacktest,
    Trade,
    TradeLog,
    position_curve,
    run_backtest,
    run_event_backtest,
)
from crypto_trader.strategy.domain.framework import create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame

TRADES = (
    Trade("long", 2.0, 1, 60_000, 10.0, 4, 240_000, 12.0, 0.1, 3.9),
    Trade("short", 1.5, 4, 240_000, 12.0, 6, 360_000, 11.0, 0.2, 1.3),
    Trade("long", 0.5, 8, 480_000, 9.0, 9, 540_000, 8.0, 0.05, -0.55),
)


def _frame(count: int, seed: int = 11) -> CandleFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, count)))
    opens = np.concatenate(([100.0], close[:-1]))
    times = 1_700_000_000_000 + np.arange(count, dtype=np.int64) * 60_000
    return CandleFrame(
        times, opens, np.maximum(opens, close), np.minimum(opens, close), close, np.ones(count)
    )


def _from_columns(trades: tuple[Trade, ...]) -> TradeLog:
    return TradeLog.from_columns(TradeLog(trades).columns())


class TestTradeLog:
    def test_a_log_made_from_columns_gives_back_the_same_trades(self) -> None:
        log = _from_columns(TRADES)

        assert tuple(log) == TRADES
        assert log == TRADES and log == list(TRADES) and log == TradeLog(TRADES)
        assert log != TRADES[:2] and log != (*TRADES[:2], TRADES[0])

    def test_length_and_indexing_do_not_need_every_trade(self) -> None:
        log = _from_columns(TRADES)

        assert len(log) == 3
        assert log[1] == TRADES[1] and log[-1] == TRADES[-1]
        assert log[1:] == TRADES[1:]
        with pytest.raises(IndexError):
            log[3]

    def test_an_empty_log_equals_an_empty_tuple(self) -> None:
        assert TradeLog() == () and len(TradeLog()) == 0
        assert _from_columns(()) == ()

    def test_return_percentage_columns_equal_each_trade_s(self) -> None:
        pnl, return_pct = _from_columns(TRADES).pnl_and_return_pct()

        assert pnl.tolist() == [trade.pnl for trade in TRADES]
        assert return_pct.tolist() == [trade.return_pct for trade in TRADES]

    def test_a_log_is_not_hashable_because_it_equals_tuples(self) -> None:
        with pytest.raises(TypeError):
            hash(TradeLog(TRADES))


class TestPositionCurve:
    def test_trades_hold_their_size_from_entry_up_to_the_exit_candle(self) -> None:
        position = position_curve(10, TradeLog(TRADES), None)

        expected = [0.0, 2.0, 2.0, 2.0, -1.5, -1.5, 0.0, 0.0, 0.5, 0.0]
        assert position.tolist() == expected

    @pytest.mark.parametrize("short", [False, True])
    @pytest.mark.parametrize("stop_loss", [None, 0.01])
    def test_equals_the_position_the_account_holds_after_each_candle(
        self, short: bool, stop_loss: float | None
    ) -> None:
        frame = _frame(600)
        config = BacktestConfig(10_000.0, 0.001, stop_loss=stop_loss)
        params = {"fast": 3, "slow": 9, "short": short}
        backtest = EventBacktest(create_strategy("sma_cross", params), config)
        held = []
        for index in range(len(frame)):
            backtest.on_candle(frame.bar(index))
            held.append(backtest.account.position)

        event = backtest.result()
        fast = run_backtest(create_strategy("sma_cross", params), frame, config)

        assert len(event.trades) > 10
        assert event.position.tolist() == held
        np.testing.assert_array_equal(fast.position, event.position)
        assert run_event_backtest(create_strategy("sma_cross", params), frame, config).trades == (
            fast.trades
        )
