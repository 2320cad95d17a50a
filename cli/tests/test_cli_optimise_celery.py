"""`ct optimise --backend celery`: trials on a strategy worker equal the local run; no worker is
a one-line error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def candle_file(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = shared_data_dir / "nostalgiaforinfinity" / "binance" / "ETH_USDT-5m.json"
    path = tmp_path_factory.mktemp("optimise-celery") / "eth-5m.json"
    path.write_text(json.dumps(json.loads(source.read_text())[:3000]))
    return path


@pytest.fixture
def worker_env(redis_url: str, run_root: str, tmp_path: Path) -> dict[str, str]:
    return {"CT_REDIS_URL": redis_url, "CT_REDIS_PREFIX": f"{run_root}:", "CT_LOG_JSON": "false"}


@pytest.fixture
def worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "crypto_trader.strategy.worker"],
        env={**os.environ, **worker_env, "CT_DATA_DIR": str(tmp_path / "worker")},
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


def _arguments(candle_file: Path, tmp_path: Path, name: str) -> list[str]:
    arguments = ["optimise", "--data", str(candle_file), "--timeframe", "5m"]
    arguments += ["--strategy", "rsi_mean_reversion", "--param-range", "period=6:30"]
    arguments += ["--method", "tpe", "--trials", "12", "--seed", "9", "--walk-forward", "1200:600"]
    arguments += ["--output", str(tmp_path / f"{name}.json"), "--data-dir", str(tmp_path / name)]
    return arguments


def test_celery_backend_gives_the_local_run(
    worker: subprocess.Popen[bytes],
    worker_env: dict[str, str],
    candle_file: Path,
    tmp_path: Path,
) -> None:
    runner = CliRunner()

    local = runner.invoke(app, [*_arguments(candle_file, tmp_path, "local"), "--workers", "2"])
    remote = runner.invoke(
        app, [*_arguments(candle_file, tmp_path, "celery"), "--backend", "celery"], env=worker_env
    )

    assert local.exit_code == 0, local.output
    assert remote.exit_code == 0, remote.output
    documents = [json.loads((tmp_path / f"{n}.json").read_text()) for n in ("local", "celery")]
    for document in documents:
        del document["run_id"], document["created_ms"]
    assert documents[0] == documents[1]
    assert len(documents[1]["trials"]) == 12 * len(documents[1]["windows"]) > 0
    assert (tmp_path / "celery" / "strategy.db").exists()


def test_no_worker_is_a_one_line_error_without_traceback(
    worker_env: dict[str, str], candle_file: Path, tmp_path: Path
) -> None:
    arguments = _arguments(candle_file, tmp_path, "alone")
    arguments += ["--backend", "celery", "--worker-timeout", "0.5"]

    result = subprocess.run(
        [sys.executable, "-m", "crypto_trader.cli", *arguments],
        env={**os.environ, **worker_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert "no strategy worker took the optimisation trials within 0.5 s" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "alone.json").exists()
