"""The Celery worker process: a backtest queued through Redis returns the domain's result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from crypto_trader.common.settings import InfraSettings
from crypto_trader.strategy.adapters.celery_tasks import (
    BACKTEST_TASK,
    STRATEGY_BACKTEST_TASK,
    backtest_queue,
    backtest_sma_cross_task,
    backtest_strategy_task,
    create_celery,
)
from crypto_trader.strategy.domain.backtesting.request import (
    result_to_json,
    run_requested_backtest,
)

pytestmark = pytest.mark.integration


class _NoProgress:
    def update_state(self, *, state: str, meta: dict[str, Any]) -> None:
        pass


def _rows(shared_data_dir: Path, count: int) -> list[list[str]]:
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    rows = json.loads(path.read_text(), parse_float=Decimal)[:count]
    return [[str(value) for value in row] for row in rows]


@pytest.fixture
def worker(redis_url: str, run_root: str, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "CT_REDIS_URL": redis_url,
        "CT_REDIS_PREFIX": f"{run_root}:",
        "CT_LOG_JSON": "false",
        "CT_DATA_DIR": str(tmp_path),
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "crypto_trader.strategy.worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    yield process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()


class TestStrategyWorker:
    def test_runs_a_queued_backtest_and_stops_cleanly_on_sigterm(
        self,
        worker: subprocess.Popen[bytes],
        redis_url: str,
        run_root: str,
        shared_data_dir: Path,
        tmp_path: Path,
    ) -> None:
        infra = InfraSettings(redis_url=redis_url, redis_prefix=f"{run_root}:")
        client = create_celery(infra)
        rows = _rows(shared_data_dir, 2000)

        pending = client.send_task(
            BACKTEST_TASK, args=[rows, 10, 30, "0.001", "10000"], queue=backtest_queue(infra)
        )
        result = pending.get(timeout=30)

        expected = backtest_sma_cross_task(_NoProgress(), rows, 10, 30, "0.001", "10000")
        assert result == expected
        assert len(result["trades"]) > 10
        assert pending.state == "SUCCESS"

        worker.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert worker.wait(timeout=20) == 0, (tmp_path / "worker.log").read_text()
        assert time.monotonic() - started < 20
        client.close()

    def test_runs_any_strategy_on_the_new_engine_and_reports_progress(
        self, worker: subprocess.Popen[bytes], redis_url: str, run_root: str, shared_data_dir: Path
    ) -> None:
        infra = InfraSettings(redis_url=redis_url, redis_prefix=f"{run_root}:")
        client = create_celery(infra)
        rows = _rows(shared_data_dir, 20_000)
        options = {"exchange": "binance", "slippage_model": "volume", "take_profit": 0.03}
        params = {"fast": 12, "slow": 40, "short": True}

        pending = client.send_task(
            STRATEGY_BACKTEST_TASK,
            args=["ema_cross", params, rows, options],
            queue=backtest_queue(infra),
        )
        seen: list[dict[str, int]] = []
        while not pending.ready():
            # One read of state and meta together: they change between two property reads.
            meta = pending.backend.get_task_meta(pending.id)
            if meta["status"] == "PROGRESS":
                seen.append(meta["result"])
            time.sleep(0.01)
        result = pending.get(timeout=30)

        expected = result_to_json(run_requested_backtest("ema_cross", params, rows, options))
        assert result["final_equity"] == expected["final_equity"]
        assert result["trades"] == expected["trades"]
        assert all(set(info) == {"done", "total"} for info in seen)
        assert pending.state == "SUCCESS"
        client.close()

    def test_runs_several_symbols_in_one_account(
        self, worker: subprocess.Popen[bytes], redis_url: str, run_root: str, shared_data_dir: Path
    ) -> None:
        infra = InfraSettings(redis_url=redis_url, redis_prefix=f"{run_root}:")
        client = create_celery(infra)
        eth = shared_data_dir / "nostalgiaforinfinity" / "binance" / "ETH_USDT-5m.json"
        candles = {
            "BTC/USDT": _rows(shared_data_dir, 3000),
            "ETH/USDT": [[str(v) for v in row] for row in json.loads(eth.read_text())[:3000]],
        }
        options = {"sizing": "fraction_of_equity", "sizing_value": 0.5}

        pending = client.send_task(
            STRATEGY_BACKTEST_TASK,
            args=["sma_cross", {"fast": 10, "slow": 30}, candles, options],
            queue=backtest_queue(infra),
        )
        result = pending.get(timeout=30)

        eager = backtest_strategy_task(
            _NoProgress(), "sma_cross", {"fast": 10, "slow": 30}, candles, options
        )
        # metrics are float analytics: the worker's process may round their last digit otherwise
        assert {k: v for k, v in result.items() if k != "metrics"} == {
            k: v for k, v in eager.items() if k != "metrics"
        }
        assert result["metrics"] == pytest.approx(eager["metrics"], rel=1e-9)
        assert result["symbols"] == ["BTC/USDT", "ETH/USDT"]
        assert all(s["trades"] for s in result["per_symbol"].values())
        client.close()

    def test_a_failing_backtest_reports_the_reason(
        self, worker: subprocess.Popen[bytes], redis_url: str, run_root: str
    ) -> None:
        infra = InfraSettings(redis_url=redis_url, redis_prefix=f"{run_root}:")
        client = create_celery(infra)

        pending = client.send_task(
            BACKTEST_TASK, args=[[["0", "1", "1", "1", "1", "1"]], 10, 30, "2", "1000"]
        )

        with pytest.raises(Exception, match="fee must be in"):
            pending.get(timeout=30)
        client.close()
