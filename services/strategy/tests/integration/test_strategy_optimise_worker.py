"""Optimisation on Celery workers: the queued task and trials sent to workers equal inline runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.database import make_engine
from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.common.settings import InfraSettings
from crypto_trader.strategy.adapters.celery_optimise import (
    STRATEGY_OPTIMISE_TASK,
    optimise_request,
)
from crypto_trader.strategy.adapters.celery_tasks import backtest_queue, create_celery
from crypto_trader.strategy.adapters.celery_trials import (
    CeleryTrials,
    config_from_json,
    config_to_json,
)
from crypto_trader.strategy.adapters.optimisation_store import SqlAlchemyOptimisationStore
from crypto_trader.strategy.domain.backtesting.request import config_from_options, frame_from_rows
from crypto_trader.strategy.domain.optimisation import OptimisationRun
from crypto_trader.strategy.optimiser import OptimiseRequest, optimise

pytestmark = pytest.mark.integration

RANGES = ["fast=5:20:5", "slow=20:60:20"]
OPTIONS: dict[str, object] = {"fee": 0.0005, "slippage_model": "volume"}


def _rows(shared_data_dir: Path, count: int = 3000) -> list[list[object]]:
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    rows: list[list[object]] = json.loads(path.read_text())[:count]
    return rows


def _trials(run: OptimisationRun) -> list[tuple[object, ...]]:
    return [(t.number, t.window, t.params, t.score, t.metrics) for t in run.trials]


def _inline(rows: list[list[object]], request: OptimiseRequest) -> OptimisationRun:
    return optimise(frame_from_rows(rows), request, clock=FakeClock(1), run_id="inline")


@pytest.fixture
def start_worker(
    redis_url: str, run_root: str, tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[tuple[subprocess.Popen[bytes], Any]] = []
    env = {
        **os.environ,
        "CT_REDIS_URL": redis_url,
        "CT_REDIS_PREFIX": f"{run_root}:",
        "CT_LOG_JSON": "false",
        "CT_DATA_DIR": str(tmp_path),
    }

    def start() -> subprocess.Popen[bytes]:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "crypto_trader.strategy.worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


@pytest.fixture
def infra(redis_url: str, run_root: str) -> InfraSettings:
    return InfraSettings(redis_url=redis_url, redis_prefix=f"{run_root}:")


class TestOptimiseTask:
    def test_equals_the_inline_optimiser_reports_progress_and_stores_the_run(
        self,
        start_worker: Callable[[], subprocess.Popen[bytes]],
        infra: InfraSettings,
        shared_data_dir: Path,
        tmp_path: Path,
    ) -> None:
        start_worker()
        client = create_celery(infra)
        rows = _rows(shared_data_dir)
        settings = {"walk_forward": "1000:500", "objective": "sortino"}

        pending = client.send_task(
            STRATEGY_OPTIMISE_TASK,
            args=["sma_cross", RANGES, rows, OPTIONS, settings],
            queue=backtest_queue(infra),
        )
        seen: list[dict[str, Any]] = []
        while not pending.ready():
            # One read of state and meta together: they change between two property reads.
            meta = pending.backend.get_task_meta(pending.id)
            if meta["status"] == "PROGRESS":
                seen.append(meta["result"])
            time.sleep(0.005)
        summary = pending.get(timeout=60)

        expected = _inline(rows, optimise_request("sma_cross", RANGES, OPTIONS, settings))
        assert summary["best_params"] == expected.best_params
        assert summary["best_score"] == expected.best_score
        assert summary["windows"] == [w.as_dict() for w in expected.windows]
        assert summary["out_of_sample_metrics"] == expected.out_of_sample_metrics
        assert summary["trial_count"] == len(expected.trials) == 4 * 11
        assert seen and all(
            set(info) == {"done", "total", "best_score", "best_params"} for info in seen
        )
        assert seen[-1]["done"] <= seen[-1]["total"] == 44
        assert all(info["best_params"] for info in seen if info["done"])
        engine = make_engine(f"sqlite:///{tmp_path / 'strategy.db'}")
        stored = SqlAlchemyOptimisationStore(engine).get(summary["run_id"])
        engine.dispose()
        assert _trials(stored) == _trials(expected)
        client.close()

    def test_sends_its_trials_to_other_workers_with_the_same_result(
        self,
        start_worker: Callable[[], subprocess.Popen[bytes]],
        infra: InfraSettings,
        shared_data_dir: Path,
        tmp_path: Path,
    ) -> None:
        # The worker running the optimisation is busy: a second one takes the trials.
        start_worker(), start_worker()
        client = create_celery(infra)
        rows = _rows(shared_data_dir)
        settings = {
            "method": "tpe",
            "trials": 12,
            "seed": 3,
            "walk_forward": "1500:750",
            "backend": "celery",
        }

        pending = client.send_task(
            STRATEGY_OPTIMISE_TASK,
            args=["ema_cross", ["fast=3:30", "slow=10:90"], rows, OPTIONS, settings],
            queue=backtest_queue(infra),
        )
        summary = pending.get(timeout=120)

        request = optimise_request("ema_cross", ["fast=3:30", "slow=10:90"], OPTIONS, settings)
        expected = _inline(rows, request)
        engine = make_engine(f"sqlite:///{tmp_path / 'strategy.db'}")
        stored = SqlAlchemyOptimisationStore(engine).get(summary["run_id"])
        engine.dispose()
        assert _trials(stored) == _trials(expected)
        assert summary["best_params"] == expected.best_params
        assert summary["windows"] == [w.as_dict() for w in expected.windows]
        client.close()

    @pytest.mark.parametrize(
        ("arguments", "reason"),
        [
            (["nope", RANGES, [], {}, {}], "unknown strategy"),
            (["sma_cross", ["fast=5:20:5"], [[1, 2, 3]], {}, {}], "candle 0 must be"),
            (["sma_cross", RANGES, [], {}, {"method": "anneal"}], "unknown method"),
            (["sma_cross", RANGES, [], {}, {"speed": 3}], "unknown optimisation setting"),
        ],
    )
    def test_bad_input_fails_with_the_reason_and_no_traceback(
        self,
        start_worker: Callable[[], subprocess.Popen[bytes]],
        infra: InfraSettings,
        arguments: list[object],
        reason: str,
    ) -> None:
        start_worker()
        client = create_celery(infra)

        pending = client.send_task(
            STRATEGY_OPTIMISE_TASK, args=arguments, queue=backtest_queue(infra)
        )

        with pytest.raises(InvalidInput, match=reason):
            pending.get(timeout=60)
        meta = pending.backend.get_task_meta(pending.id)
        assert meta["status"] == "FAILURE"
        assert meta["traceback"] is None
        client.close()


class TestCeleryTrials:
    @pytest.mark.parametrize(
        "overrides",
        [
            {},
            {"method": "tpe", "trials": 20, "seed": 5},
            {"walk_forward": "1000:500", "anchored": True},
        ],
    )
    def test_a_run_on_workers_equals_the_local_run(
        self,
        start_worker: Callable[[], subprocess.Popen[bytes]],
        infra: InfraSettings,
        shared_data_dir: Path,
        overrides: dict[str, object],
    ) -> None:
        start_worker()
        client = create_celery(infra)
        rows = _rows(shared_data_dir)
        request = optimise_request("sma_cross", RANGES, OPTIONS, overrides)
        if request.method == "tpe":
            request = optimise_request("sma_cross", ["fast=2:30", "slow=5:80"], OPTIONS, overrides)
        progress: list[tuple[int, int]] = []

        remote = optimise(
            frame_from_rows(rows),
            request,
            clock=FakeClock(1),
            run_id="inline",
            on_progress=lambda *p: progress.append(p),
            backend=CeleryTrials(client, infra, timeout=30),
        )

        local = _inline(rows, request)
        assert _trials(remote) == _trials(local)
        assert remote.windows == local.windows
        assert progress[-1] == (len(remote.trials), len(remote.trials))
        client.close()

    def test_no_worker_is_a_retryable_error_naming_the_queue(
        self, infra: InfraSettings, shared_data_dir: Path
    ) -> None:
        client = create_celery(infra)
        request = optimise_request("sma_cross", RANGES, OPTIONS, {})

        with pytest.raises(RetryableError, match=r"no strategy worker .* within 0.5 s"):
            optimise(
                frame_from_rows(_rows(shared_data_dir, 500)),
                request,
                clock=FakeClock(1),
                backend=CeleryTrials(client, infra, timeout=0.5),
            )
        client.close()


class TestConfigJson:
    @pytest.mark.parametrize(
        "options",
        [
            {},
            {"exchange": "binance", "slippage_model": "volume", "take_profit": 0.03},
            {"maker_fee": 0.0002, "taker_fee": 0.0007, "slippage_model": "spread"},
            {"sizing": "fraction_of_equity", "sizing_value": 0.5, "quantity_step": 0.001},
        ],
    )
    def test_round_trips_exactly(self, options: dict[str, object]) -> None:
        config = config_from_options(options)

        rebuilt = config_from_json(json.loads(json.dumps(config_to_json(config))))

        assert rebuilt == config
        assert rebuilt.slippage == config.slippage
