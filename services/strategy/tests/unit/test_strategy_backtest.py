"""The SMA-cross backtest and its Celery task entrypoint (called directly, without a broker)."""

from __future__ import annotations

import json
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side, decimal_str
from crypto_trader.strategy.adapters.celery_tasks import backtest_sma_cross_task
from crypto_trader.strategy.domain.backtest import Bar, backtest_sma_cross
from crypto_trader.strategy.domain.sma_cross import sma_cross_signals

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


def _bars(prices: list[tuple[str, str]]) -> list[Bar]:
    return [Bar(1000 * i, Decimal(o), Decimal(c)) for i, (o, c) in enumerate(prices)]


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


class TestBacktestSmaCross:
    def test_fills_each_signal_at_the_next_open_all_in_with_fees(self) -> None:
        fee = Decimal("0.001")

        result = backtest_sma_cross(_bars(PRICES), 1, 2, fee_rate=fee, cash=Decimal(1000))

        with localcontext() as context:
            context.prec = 100
            quantity = (Decimal(1000) / (Decimal("2.5") * (1 + fee))).quantize(
                Decimal("1e-18"), "ROUND_DOWN"
            )
            cash = Decimal(1000) - quantity * Decimal("2.5") * (1 + fee)
            cash += quantity * Decimal("1.5") * (1 - fee)
        buy, sell = result.fills
        assert (buy.side, buy.open_time_ms, buy.price, buy.quantity) == (
            Side.BUY,
            6000,
            Decimal("2.5"),
            quantity,
        )
        assert (sell.side, sell.open_time_ms, sell.price, sell.quantity) == (
            Side.SELL,
            9000,
            Decimal("1.5"),
            quantity,
        )
        assert (buy.signal_index, sell.signal_index) == (5, 8)
        assert result.final_equity == cash
        assert result.position == 0
        assert result.fees_paid == buy.fee + sell.fee

    def test_marks_an_open_position_at_the_last_close(self) -> None:
        result = backtest_sma_cross(
            _bars(PRICES[:9]), 1, 2, fee_rate=Decimal(0), cash=Decimal(1000)
        )

        (buy,) = result.fills
        assert buy.quantity == Decimal(400)
        assert result.cash == 0
        assert result.final_equity == Decimal(400) * Decimal(1)

    def test_reports_progress_and_finishes_with_done_equal_total(self) -> None:
        calls: list[tuple[int, int]] = []

        backtest_sma_cross(
            _bars(PRICES),
            1,
            2,
            fee_rate=Decimal(0),
            cash=Decimal(1),
            on_progress=lambda done, total: calls.append((done, total)),
            progress_every=3,
        )

        assert calls == [(3, 10), (6, 10), (9, 10), (10, 10)]

    @pytest.mark.parametrize(("fee", "cash"), [("1", "1000"), ("-0.1", "1000"), ("0.001", "0")])
    def test_refuses_impossible_fee_or_cash(self, fee: str, cash: str) -> None:
        with pytest.raises(InvalidInput):
            backtest_sma_cross(_bars(PRICES), 1, 2, fee_rate=Decimal(fee), cash=Decimal(cash))

    def test_trades_every_usable_signal_on_real_binance_candles(
        self, shared_data_dir: Path
    ) -> None:
        rows = _load_binance_5m(shared_data_dir, 3000)
        bars = [Bar(int(r[0]), Decimal(r[1]), Decimal(r[4])) for r in rows]

        result = backtest_sma_cross(bars, 10, 30, fee_rate=Decimal("0.001"), cash=Decimal(10_000))

        signals = sma_cross_signals([b.close for b in bars], 10, 30)
        assert len(result.fills) > 20
        assert [f.side for f in result.fills] == [
            Side.BUY if i % 2 == 0 else Side.SELL for i in range(len(result.fills))
        ]
        for fill in result.fills:
            assert (fill.signal_index, fill.side.value) in {
                (i, "buy" if a == "enter_long" else "sell") for i, a in signals
            }
            assert fill.price == bars[fill.signal_index + 1].open
            assert fill.fee == fill.quantity * fill.price * Decimal("0.001")
        assert result.final_equity == result.cash + result.position * bars[-1].close
        assert result.cash >= 0


class TestBacktestTask:
    def test_runs_on_string_rows_and_returns_strings(self) -> None:
        rows = [[str(1000 * i), o, o, c, c, "1"] for i, (o, c) in enumerate(PRICES)]
        for row in rows:  # high/low are not used; keep them consistent anyway
            row[2], row[3] = max(row[1], row[4], key=Decimal), min(row[1], row[4], key=Decimal)
        task = RecordingTask()

        result = backtest_sma_cross_task(task, rows, 1, 2, "0.001", "1000")

        expected = backtest_sma_cross(
            _bars(PRICES), 1, 2, fee_rate=Decimal("0.001"), cash=Decimal(1000)
        )
        assert result["final_equity"] == decimal_str(expected.final_equity)
        assert Decimal(result["final_equity"]) == expected.final_equity
        assert [t["side"] for t in result["trades"]] == ["buy", "sell"]
        assert result["trades"][0]["price"] == "2.5"
        assert result["trades"][0]["open_time_ms"] == 6000
        assert result["candles"] == len(PRICES)
        assert all(
            isinstance(v, str)
            for t in result["trades"]
            for k, v in t.items()
            if k in {"price", "quantity", "fee"}
        )
        assert task.states[-1] == ("PROGRESS", {"done": 10, "total": 10})
        assert all(state == "PROGRESS" for state, _ in task.states)

    def test_reports_about_a_hundred_progress_updates_on_long_inputs(
        self, shared_data_dir: Path
    ) -> None:
        rows = _load_binance_5m(shared_data_dir, 5000)
        task = RecordingTask()

        backtest_sma_cross_task(task, rows, 10, 30, "0.001", "10000")

        assert 100 <= len(task.states) <= 101
        assert task.states[-1][1] == {"done": 5000, "total": 5000}

    @pytest.mark.parametrize(
        "rows",
        [
            [["x", "1", "1", "1", "1", "1"]],
            [["0", "1", "1", "1"]],
            [["0", "1", "1", "1", "1.0e", "1"]],
        ],
    )
    def test_refuses_malformed_rows(self, rows: list[list[str]]) -> None:
        with pytest.raises(InvalidInput):
            backtest_sma_cross_task(RecordingTask(), rows, 1, 2, "0", "1000")
