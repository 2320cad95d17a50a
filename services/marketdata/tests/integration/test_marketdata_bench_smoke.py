"""The store benchmark runs standalone and prints its table (tiny sizes)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[4] / "bench" / "marketdata" / "bench_store.py"


def test_store_benchmark_runs_and_prints_its_figures(postgres_url: str) -> None:  # noqa: ARG001
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(BENCH), "--rows", "2000", "--load-rows", "5000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert "rows/s" in completed.stdout
    assert "of raw" in completed.stdout
    assert "5,000 candles" in completed.stdout
