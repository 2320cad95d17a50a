"""A first `ct up` with defaults: a moving paper trade within 30 seconds, nothing left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from platform_runner import Platform

from crypto_trader.common.embedded import port_answers

pytestmark = pytest.mark.e2e

REPOSITORY = Path(__file__).resolve().parents[2]


def test_first_run_trades_within_30_seconds_and_stops_cleanly(tmp_path):
    # Exactly what the README's Quick start runs: the repository's launcher, with defaults only.
    platform = Platform(
        data_dir=tmp_path / "var",
        env={"CT_VENV": sys.prefix},
        launcher=[str(REPOSITORY / "ct")],
    )
    # The launcher installs on first use (or after a dependency list changed); the 30 seconds
    # count from the platform's start, not from pip's.
    subprocess.run([*platform.launcher, "--help"], env={**os.environ, **platform.env}, check=True,
                   capture_output=True, timeout=600)  # fmt: skip
    started = time.monotonic()
    platform.start()
    try:
        platform.wait_until(
            "a paper fill", lambda: len(platform.get("/api/v1/fills")["fills"]) >= 1, timeout=30
        )
        took = time.monotonic() - started
        status = platform.get("/api/v1/marketdata/status")
        candles = platform.get("/api/v1/candles", limit=5)
        if status["synthetic"]:
            assert candles["synthetic"] is True
            assert "SYNTHETIC" in platform.log_text().upper()
        state = platform.state()
        children = [info["pid"] for info in state["services"].values()]
    finally:
        code = platform.stop()
    assert code == 0
    assert took < 30
    time.sleep(0.5)
    alive = [pid for pid in children if _running(pid)]
    assert not alive, f"processes left behind: {alive}"
    for port in (platform.gateway_port, platform.nats_port, platform.redis_port):
        assert not port_answers(port), f"port {port} still open"
    assert not (platform.data_dir / "run" / "ct-up.json").exists()


def _running(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
