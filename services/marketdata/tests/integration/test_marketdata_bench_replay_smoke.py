"""The replay benchmark runs standalone on a few real candles and prints its table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[4] / "bench" / "marketdata" / "bench_replay.py"


def test_replay_benchmark_runs_and_prints_its_ratios(
    nats_url: str, redis_url: str, shared_data_dir: Path
) -> None:
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(BENCH), "--data", str(shared_data_dir / "freqtrade"),
         "--candles", "30", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "CT_TEST_NATS_URL": nats_url, "CT_TEST_REDIS_URL": redis_url,
             "COLUMNS": "160"},
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    assert "30 XRP/ETH 1m candles" in completed.stdout
    for scenario in ("candles only", "candles + trades", "candles + trades + price cache"):
        assert scenario in completed.stdout
    assert completed.stdout.count("% of raw") == 3
