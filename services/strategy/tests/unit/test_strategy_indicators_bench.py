"""The indicator benchmark runs end to end with tiny sizes (smoke test)."""

from __future__ import annotations

import runpy
from pathlib import Path

BENCH = Path(__file__).resolve().parents[4] / "bench" / "indicators" / "bench_indicators.py"


def test_benchmark_prints_batch_ratios_and_stream_costs_for_every_indicator(capsys):
    main = runpy.run_path(str(BENCH))["main"]

    rows = main(["--size", "3000", "--updates", "300", "--repeat", "1"])

    printed = capsys.readouterr().out
    assert "Batch, 3,000 candles" in printed
    assert "Stream, 300 updates" in printed
    assert len(rows["batch"]) == 15
    assert {row[0] for row in rows["stream"]} >= {"sma", "macd", "adx", "keltner", "ichimoku"}
    assert all(api > 0 and direct > 0 for _, api, direct in rows["batch"])
