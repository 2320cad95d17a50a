"""The queued backtest over several symbols: one account, the engine's result, progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.sizing import Sizing
from crypto_trader.strategy.adapters.celery_tasks import backtest_strategy_task
from crypto_trader.strategy.domain.backtesting import BacktestConfig, run_portfolio_backtest
from crypto_trader.strategy.domain.framework import create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame

BINANCE = Path("nostalgiaforinfinity") / "binance"
pytestmark = pytest.mark.integration

OPTIONS = {"cash": 10_000, "sizing": "fraction_of_equity", "sizing_value": 0.5}


class RecordingTask:
    def __init__(self) -> None:
        self.states: list[tuple[str, dict[str, Any]]] = []

    def update_state(self, *, state: str, meta: dict[str, Any]) -> None:
        self.states.append((state, meta))


def _candles(shared_data_dir: Path, count: int) -> dict[str, list[list[str]]]:
    # The first candles of both files share their open times; rows travel as JSON strings.
    return {
        symbol: [
            [str(value) for value in row]
            for row in json.loads((shared_data_dir / BINANCE / name).read_text())[:count]
        ]
        for symbol, name in (("BTC/USDT", "BTC_USDT-5m.json"), ("ETH/USDT", "ETH_USDT-5m.json"))
    }


class TestPortfolioBacktestTask:
    def test_equals_the_engines_portfolio_result_and_reports_progress(
        self, shared_data_dir: Path
    ) -> None:
        candles = _candles(shared_data_dir, 10_000)
        task = RecordingTask()

        result = backtest_strategy_task(
            task, "ema_cross", {"fast": 12, "slow": 40}, candles, OPTIONS
        )

        frames = {
            symbol: CandleFrame.from_rows([[float(v) for v in row] for row in rows])
            for symbol, rows in candles.items()
        }
        strategies = {s: create_strategy("ema_cross", {"fast": 12, "slow": 40}) for s in frames}
        config = BacktestConfig(initial_cash=10_000.0, sizing=Sizing("fraction_of_equity", 0.5))
        expected = run_portfolio_backtest(strategies, frames, config)
        assert result["symbols"] == ["BTC/USDT", "ETH/USDT"]
        assert result["final_equity"] == expected.final_equity
        assert result["cash"] == expected.cash
        assert result["metrics"]["trades"] == len(expected.trades)
        for symbol, frame in frames.items():
            mine = result["per_symbol"][symbol]
            theirs = [t for t in expected.trades if t.symbol == symbol]
            assert [(t["entry_time_ms"], t["pnl"]) for t in mine["trades"]] == [
                (t.entry_time_ms, t.pnl) for t in theirs
            ]
            assert len(theirs) > 20
            assert mine["position"] == expected.positions[symbol][-1]
            assert mine["last_close"] == frame.close[-1]
        held = sum(s["position"] * s["last_close"] for s in result["per_symbol"].values())
        assert result["final_equity"] == pytest.approx(result["cash"] + held, rel=1e-12)
        json.dumps(result, allow_nan=False)
        assert task.states[-1] == ("PROGRESS", {"done": 10_000, "total": 10_000})
        assert all(state == "PROGRESS" for state, _ in task.states)
        assert 50 <= len(task.states) <= 102

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda c: c["ETH/USDT"].pop(), "not aligned on time"),
            (lambda c: c.update({"BTCUSDT": c.pop("ETH/USDT")}), "symbol must look like"),
            (lambda c: c["ETH/USDT"][3].__setitem__(4, "-1"), "ETH/USDT: candle prices"),
            (lambda c: c.clear(), "no symbols to backtest"),
        ],
    )
    def test_refuses_bad_candles(self, shared_data_dir: Path, change: Any, message: str) -> None:
        candles = _candles(shared_data_dir, 100)
        change(candles)

        with pytest.raises(InvalidInput, match=message):
            backtest_strategy_task(RecordingTask(), "sma_cross", {}, candles, OPTIONS)
