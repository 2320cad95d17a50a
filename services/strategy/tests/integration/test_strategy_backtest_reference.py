"""SMA and EMA cross backtests agree with backtesting.py's FractionalBacktest on real candles.

Both run long only, all in, 0.1 % commission, no slippage, market orders filled at the next
candle's open; the engine and `ct backtest` must give the same trades and final equity.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from backtesting import Strategy
from backtesting.lib import FractionalBacktest

from crypto_trader.strategy.domain.backtesting import BacktestConfig, BacktestResult, run_backtest
from crypto_trader.strategy.domain.framework import create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame

pytestmark = pytest.mark.integration

ROWS = 20_000
FAST, SLOW = 20, 50
REL = 1e-6

Average = Callable[[Any, int], pd.Series]


def _sma(close: Any, period: int) -> pd.Series:
    return pd.Series(close).rolling(period).mean()


def _ema(close: Any, period: int) -> pd.Series:
    # Seeded with the first close (adjust=False), as the engine's EMA; NaN until `period` closes.
    return pd.Series(close).ewm(span=period, adjust=False, min_periods=period).mean()


def _reference(frame: CandleFrame, average: Average) -> pd.Series:
    class LongOnlyCross(Strategy):
        def init(self) -> None:
            self.fast = self.I(average, self.data.Close, FAST)
            self.slow = self.I(average, self.data.Close, SLOW)

        def next(self) -> None:
            # The engine's cross rule: from at-or-below to above, from at-or-above to below.
            before = int(self.fast[-2] > self.slow[-2]) - int(self.fast[-2] < self.slow[-2])
            now = int(self.fast[-1] > self.slow[-1]) - int(self.fast[-1] < self.slow[-1])
            if before <= 0 < now and not self.position:
                self.buy()  # all of the equity, at the next open
            elif before >= 0 > now and self.position:
                self.position.close()

    data = pd.DataFrame(
        {
            "Open": frame.open,
            "High": frame.high,
            "Low": frame.low,
            "Close": frame.close,
            "Volume": frame.volume,
        },
        index=pd.to_datetime(frame.open_time_ms, unit="ms"),
    )
    # A unit of 1e-12 coins makes the whole-unit sizing fractional for all practical purposes.
    backtest = FractionalBacktest(
        data, LongOnlyCross, cash=10_000, commission=0.001, fractional_unit=1e-12
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return backtest.run()


@pytest.fixture(scope="module")
def candle_file(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    path = tmp_path_factory.mktemp("candles") / "BTC_USDT-5m.json"
    rows = json.loads(source.read_text())[:ROWS]
    path.write_text(json.dumps(rows))
    return path


def _run_cli(path: Path, strategy: str, output: Path) -> dict[str, Any]:
    completed = subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [
            sys.executable,
            "-m",
            "crypto_trader.cli",
            "backtest",
            "--data",
            str(path),
            "--strategy",
            strategy,
            "--param",
            f"fast={FAST}",
            "--param",
            f"slow={SLOW}",
            "--fee",
            "0.001",
            "--cash",
            "10000",
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    result: dict[str, Any] = json.loads(output.read_text())
    return result


def _assert_same_trades(ours: BacktestResult, reference: pd.Series) -> None:
    trades = reference["_trades"]
    assert len(ours.trades) == reference["# Trades"] == len(trades) > 50
    assert [t.entry_bar for t in ours.trades] == trades["EntryBar"].tolist()
    assert [t.exit_bar for t in ours.trades] == trades["ExitBar"].tolist()
    np.testing.assert_allclose([t.entry_price for t in ours.trades], trades["EntryPrice"], REL)
    np.testing.assert_allclose([t.exit_price for t in ours.trades], trades["ExitPrice"], REL)
    np.testing.assert_allclose([t.size for t in ours.trades], trades["Size"], REL)
    np.testing.assert_allclose([t.pnl for t in ours.trades], trades["PnL"], REL, atol=1e-6)
    assert ours.final_equity == pytest.approx(reference["Equity Final [$]"], rel=REL)
    assert ours.metrics.max_drawdown * 100 == pytest.approx(reference["Max. Drawdown [%]"], REL)


@pytest.mark.parametrize(("name", "average"), [("sma_cross", _sma), ("ema_cross", _ema)])
def test_engine_and_cli_match_backtesting_py(
    candle_file: Path, tmp_path: Path, name: str, average: Average
) -> None:
    frame = CandleFrame.from_rows(json.loads(candle_file.read_text()))
    config = BacktestConfig(initial_cash=10_000.0, fee_rate=0.001, slippage_bps=0.0)

    ours = run_backtest(create_strategy(name, {"fast": FAST, "slow": SLOW}), frame, config)
    reference = _reference(frame, average)
    cli = _run_cli(candle_file, name, tmp_path / "out.json")

    assert len(frame) == ROWS
    _assert_same_trades(ours, reference)
    assert cli["final_equity"] == pytest.approx(reference["Equity Final [$]"], rel=REL)
    assert [(t["entry_bar"], t["exit_bar"]) for t in cli["trades"]] == [
        (t.entry_bar, t.exit_bar) for t in ours.trades
    ]
    times = frame.open_time_ms
    for trade, mine in zip(cli["trades"], ours.trades, strict=True):
        assert (trade["entry_time_ms"], trade["exit_time_ms"]) == (
            times[mine.entry_bar],
            times[mine.exit_bar],
        )
        assert trade["entry_price"] == pytest.approx(mine.entry_price, rel=REL)
        assert trade["exit_price"] == pytest.approx(mine.exit_price, rel=REL)
    assert cli["metrics"]["trades"] == len(ours.trades)
    assert cli["metrics"]["fees_paid"] == pytest.approx(ours.fees_paid, rel=REL)
