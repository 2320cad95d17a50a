"""The queued backtest of any built-in strategy: JSON options in, JSON result out, progress."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.adapters.celery_tasks import backtest_strategy_task
from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    FeeModel,
    SpreadSlippage,
    run_backtest,
)
from crypto_trader.strategy.domain.backtesting.request import config_from_options
from crypto_trader.strategy.domain.framework import create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame


class RecordingTask:
    def __init__(self) -> None:
        self.states: list[tuple[str, dict[str, Any]]] = []

    def update_state(self, *, state: str, meta: dict[str, Any]) -> None:
        self.states.append((state, meta))


def _rows(count: int) -> list[list[str]]:
    rng = np.random.default_rng(7)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, count)))
    opens = np.concatenate(([100.0], close[:-1]))
    high, low = np.maximum(opens, close) * 1.002, np.minimum(opens, close) * 0.998
    return [
        [str(60_000 * i), str(opens[i]), str(high[i]), str(low[i]), str(close[i]), "5"]
        for i in range(count)
    ]


class TestBacktestStrategyTask:
    def test_runs_the_engine_and_returns_json_with_progress(self) -> None:
        rows = _rows(2000)
        task = RecordingTask()
        options = {
            "cash": 5000,
            "exchange": "kraken",
            "slippage_model": "spread",
            "stop_loss": 0.02,
        }

        result = backtest_strategy_task(
            task, "ema_cross", {"fast": "5", "slow": "20"}, rows, options
        )

        config = BacktestConfig(
            initial_cash=5000.0,
            fee_model=FeeModel.for_exchange("kraken"),
            slippage_model=SpreadSlippage(),
            stop_loss=0.02,
        )
        frame = CandleFrame.from_rows([[float(v) for v in row] for row in rows])
        expected = run_backtest(
            create_strategy("ema_cross", {"fast": 5, "slow": 20}), frame, config
        )
        assert result["final_equity"] == expected.final_equity
        assert len(result["trades"]) == len(expected.trades) > 5
        assert {t["exit_reason"] for t in result["trades"]} <= {"signal", "stop"}
        assert result["metrics"]["trades"] == len(expected.trades)
        json.dumps(result, allow_nan=False)
        assert task.states[-1] == ("PROGRESS", {"done": 2000, "total": 2000})
        assert 50 <= len(task.states) <= 102

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"leverage": 3}, "unknown backtest option"),
            ({"order_type": "iceberg"}, "order type"),
            ({"slippage_model": "magic"}, "slippage model"),
            ({"cash": "lots"}, "cash must be a number"),
            ({"exchange": "mtgox"}, "no fee schedule"),
        ],
    )
    def test_refuses_bad_options(self, options: dict[str, object], message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            backtest_strategy_task(RecordingTask(), "sma_cross", {}, _rows(10), options)

    def test_refuses_non_positive_prices(self) -> None:
        rows = _rows(10)
        rows[3][3] = "0"
        with pytest.raises(InvalidInput, match="positive"):
            backtest_strategy_task(RecordingTask(), "sma_cross", {}, rows, {})


def test_maker_and_taker_fees_from_options() -> None:
    config = config_from_options({"fee": 0.002, "maker_fee": 0.0005})

    assert config.fees == FeeModel(0.0005, 0.002)
