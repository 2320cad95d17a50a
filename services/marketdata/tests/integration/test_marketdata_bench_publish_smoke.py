"""The publish benchmark runs standalone and prints its table (tiny sizes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[4] / "bench" / "marketdata" / "bench_publish.py"


def test_publish_benchmark_runs_and_prints_its_ratios(nats_url: str) -> None:
    completed = subprocess.run(  # noqa: S603 - our own script, fixed arguments
        [sys.executable, str(BENCH), "--candles", "50", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "CT_TEST_NATS_URL": nats_url},
    )

    assert completed.returncode == 0, completed.stderr
    assert "of raw" in completed.stdout
    assert "durable" in completed.stdout and "core" in completed.stdout
