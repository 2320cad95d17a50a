"""The SMA-cross Celery task on the backtesting engine (called directly, without a broker)."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.adapters.celery_tasks import backtest_sma_cross_task
from crypto_trader.strategy.domain.backtesting.request import (
    result_to_json,
    run_requested_backtest,
)

# (open, close): closes 1 2 3 2 1 2 3 4 1 1.5 give, with fast=1 slow=2, an exit at 3 (flat:
# ignored), an entry at 5 (filled at the open of 6) and an exit at 8 (filled at the open of 9).
PRICES = [
    ("1", "1"),
    ("1", "2"),
    ("2", "3"),
    ("3", "2"),
    ("2", "1"),
    ("1", "2"),
    ("2.5", "3"),
    ("3", "4"),
    ("4", "1"),
    ("1.5", "1.5"),
]


def _rows(prices: list[tuple[str, str]]) -> list[list[str]]:
    return [
        [str(1000 * i), o, max(o, c, key=Decimal), min(o, c, key=Decimal), c, "1"]
        for i, (o, c) in enumerate(prices)
    ]


class RecordingTask:
    """Stands in for a bound Celery task: records progress reports."""

    def __init__(self) -> None:
        self.states: list[tuple[str, dict[str, Any]]] = []

    def update_state(self, *, state: str, meta: dict[str, Any]) -> None:
        self.states.append((state, meta))


def _load_binance_5m(shared_data_dir: Path, count: int) -> list[list[str]]:
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    rows = json.loads(path.read_text(), parse_float=Decimal)[:count]
    return [[str(value) for value in row] for row in rows]


def _exact_long_fills(closes: list[Decimal], fast: int, slow: int) -> list[tuple[int, str]]:
    # (signal candle, side) of every fill of the long-only cross, with exact decimal averages.
    fills: list[tuple[int, str]] = []
    previous = None
    with localcontext(prec=100):
        for index in range(slow - 1, len(closes) - 1):  # a last-candle signal is never filled
            difference = (
                sum(closes[index + 1 - fast : index + 1]) / fast
                - sum(closes[index + 1 - slow : index + 1]) / slow
            )
            now = (difference > 0) - (difference < 0)
            holding = len(fills) % 2 == 1
            if previous is not None and previous <= 0 < now and not holding:
                fills.append((index, "buy"))
            elif previous is not None and previous >= 0 > now and holding:
                fills.append((index, "sell"))
            previous = now
    return fills


class TestBacktestSmaCrossTask:
    def test_fills_each_signal_at_the_next_open_all_in_with_fees(self) -> None:
        fee = Decimal("0.001")

        result = backtest_sma_cross_task(RecordingTask(), _rows(PRICES), 1, 2, "0.001", "1000")

        with localcontext(prec=100):
            quantity = Decimal(1000) / (Decimal("2.5") * (1 + fee))
            cash = quantity * Decimal("1.5") * (1 - fee)
        buy, sell = result["trades"]
        assert (buy["side"], buy["open_time_ms"], buy["price"], buy["signal_index"]) == (
            "buy",
            6000,
            "2.5",
            5,
        )
        assert (sell["side"], sell["open_time_ms"], sell["price"], sell["signal_index"]) == (
            "sell",
            9000,
            "1.5",
            8,
        )
        assert buy["quantity"] == sell["quantity"] == str(1000 / (2.5 * 1.001))
        # The engine counts in floats: within rounding of the exact decimal account.
        assert Decimal(result["final_equity"]) == pytest.approx(cash, rel=Decimal("1e-12"))
        assert Decimal(result["cash"]) == Decimal(result["final_equity"])
        assert result["position"] == "0"
        assert Decimal(result["fees_paid"]) == pytest.approx(
            Decimal(buy["fee"]) + Decimal(sell["fee"]), rel=Decimal("1e-12")
        )
        assert (result["initial_cash"], result["candles"]) == ("1000", len(PRICES))

    def test_marks_an_open_position_at_the_last_close(self) -> None:
        result = backtest_sma_cross_task(RecordingTask(), _rows(PRICES[:9]), 1, 2, "0", "1000")

        (buy,) = result["trades"]
        assert (buy["side"], buy["quantity"], buy["fee"]) == ("buy", "400", "0")
        assert (result["cash"], result["position"], result["final_equity"]) == ("0", "400", "400")

    def test_reports_progress_in_candles_ending_with_done_equal_total(self) -> None:
        task = RecordingTask()

        backtest_sma_cross_task(task, _rows(PRICES), 1, 2, "0", "1")

        assert task.states
        assert all(state == "PROGRESS" for state, _ in task.states)
        assert task.states[-1] == ("PROGRESS", {"done": 10, "total": 10})
        done = [meta["done"] for _, meta in task.states]
        assert done == sorted(done)

    @pytest.mark.parametrize(
        ("fee", "cash", "message"),
        [
            ("1", "1000", "fee must be in"),
            ("-0.1", "1000", "fee must be in"),
            ("0.001", "0", "cash must be positive"),
            ("0.001", "lots", "cash is not a decimal"),
        ],
    )
    def test_refuses_impossible_fee_or_cash(self, fee: str, cash: str, message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            backtest_sma_cross_task(RecordingTask(), _rows(PRICES), 1, 2, fee, cash)

    def test_refuses_periods_in_the_wrong_order(self) -> None:
        with pytest.raises(InvalidInput, match="fast must be shorter than slow"):
            backtest_sma_cross_task(RecordingTask(), _rows(PRICES), 5, 2, "0", "1000")

    @pytest.mark.parametrize(
        "rows",
        [
            [["x", "1", "1", "1", "1", "1"]],
            [["0", "1", "1", "1"]],
            [["0", "1", "1", "1", "1.0e", "1"]],
            [["0", "1", "1", "1", "-1", "1"]],
            [["0", "1", "1", "1", "1", "inf"]],
            [["0", None, "1", "1", "1", "1"]],
            [["0", "1", "1", "1", "1", "1"], "0,1,1,1,1,1"],
            [],
        ],
    )
    def test_refuses_malformed_rows(self, rows: list[list[str]]) -> None:
        with pytest.raises(InvalidInput):
            backtest_sma_cross_task(RecordingTask(), rows, 1, 2, "0", "1000")

    def test_trades_every_usable_signal_on_real_binance_candles(
        self, shared_data_dir: Path
    ) -> None:
        rows = _load_binance_5m(shared_data_dir, 3000)
        task = RecordingTask()

        result = backtest_sma_cross_task(task, rows, 10, 30, "0.001", "10000")

        closes = [Decimal(row[4]) for row in rows]
        fills = result["trades"]
        assert len(fills) > 20
        assert [(f["signal_index"], f["side"]) for f in fills] == _exact_long_fills(closes, 10, 30)
        for fill in fills:
            index = fill["signal_index"] + 1
            assert Decimal(fill["price"]) == Decimal(rows[index][1])
            assert fill["open_time_ms"] == int(rows[index][0])
            assert float(fill["fee"]) == float(fill["quantity"]) * float(fill["price"]) * 0.001
        engine = result_to_json(
            run_requested_backtest(
                "sma_cross", {"fast": 10, "slow": 30}, rows, {"fee": 0.001, "cash": 10_000}
            )
        )
        assert float(result["final_equity"]) == engine["final_equity"]
        assert float(result["cash"]) == engine["cash"]
        assert float(result["fees_paid"]) == engine["fees_paid"]
        assert task.states[-1] == ("PROGRESS", {"done": 3000, "total": 3000})
