"""The backtest benchmark runs end to end on 20,000 candles (--quick) and its contenders agree."""

from __future__ import annotations

import runpy
from pathlib import Path

BENCH = Path(__file__).resolve().parents[4] / "bench" / "backtest" / "bench_backtest.py"


def test_quick_benchmark_prints_every_contender_and_the_agreement_check(capsys):
    main = runpy.run_path(str(BENCH))["main"]

    results = main(["--quick"])

    printed = capsys.readouterr().out
    (runs,) = results.values()
    names = {run.name for run in runs}
    assert {"engine fast path", "engine event path", "backtesting.py"} <= names
    assert len({run.trades for run in runs}) == 1 and runs[0].trades > 50
    assert "20,000 one-minute candles" in printed
    assert "check: trades agree" in printed and ": OK" in printed
    assert "candles/s" in printed and "ratios" in printed
