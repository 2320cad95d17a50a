"""`ct optimise` on real candles: walk-forward JSON, a stored run, one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app
from crypto_trader.common.database import make_engine
from crypto_trader.strategy.adapters.optimisation_store import SqlAlchemyOptimisationStore


@pytest.fixture(scope="module")
def candle_file(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 3000 real 5-minute candles: enough for four walk-forward windows, fast to search.
    source = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    path = tmp_path_factory.mktemp("optimise") / "btc-5m.json"
    path.write_text(json.dumps(json.loads(source.read_text())[:3000]))
    return path


def test_writes_in_and_out_of_sample_results_and_stores_the_run(
    candle_file: Path, tmp_path: Path
) -> None:
    output, data_dir = tmp_path / "out.json", tmp_path / "var"

    result = CliRunner().invoke(
        app,
        [
            "optimise",
            "--data",
            str(candle_file),
            "--timeframe",
            "5m",
            "--strategy",
            "sma_cross",
            "--param-range",
            "fast=5:20:5",
            "--param-range",
            "slow=20:60:20",
            "--method",
            "grid",
            "--objective",
            "sharpe",
            "--walk-forward",
            "1000:500",
            "--workers",
            "2",
            "--output",
            str(output),
            "--data-dir",
            str(data_dir),
        ],
    )

    assert result.exit_code == 0, result.output
    document = json.loads(output.read_text())
    assert document["walk_forward"] == {"in_sample": 1000, "out_of_sample": 500, "anchored": False}
    assert [w["out_of_sample_start"] for w in document["windows"]] == [1000, 1500, 2000, 2500]
    for window in document["windows"]:
        assert "sharpe" in window["in_sample"]["metrics"]
        assert "sharpe" in window["out_of_sample"]["metrics"]
    assert "total_return" in document["out_of_sample_metrics"]
    # 4 x 3 grid minus fast=20 slow=20, in each of the 4 windows.
    assert document["trial_count"] == len(document["trials"]) == 4 * 11
    assert "stitched out-of-sample" in result.output
    engine = make_engine(f"sqlite:///{data_dir.resolve() / 'strategy.db'}")
    stored = SqlAlchemyOptimisationStore(engine).get(document["run_id"])
    engine.dispose()
    assert stored.best_params == document["best_params"]


def test_tpe_with_a_fixed_parameter_is_reproducible(candle_file: Path, tmp_path: Path) -> None:
    documents = []
    for attempt in range(2):
        output = tmp_path / f"tpe-{attempt}.json"
        arguments = ["optimise", "--data", str(candle_file), "--timeframe", "5m"]
        arguments += ["--param-range", "fast=3:30", "--param-range", "slow=10:120:5"]
        arguments += ["--param", "short=true", "--method", "tpe", "--trials", "10", "--seed", "4"]
        arguments += ["--objective", "calmar", "--workers", "1", "--top", "3"]
        arguments += ["--output", str(output), "--data-dir", str(tmp_path / "var")]

        result = CliRunner().invoke(app, arguments)

        assert result.exit_code == 0, result.output
        documents.append(json.loads(output.read_text()))
    first, second = documents
    assert first["run_id"] != second["run_id"]
    assert first["trials"] == second["trials"] and len(first["trials"]) == 10
    assert all(trial["params"]["short"] is True for trial in first["trials"])
    assert first["windows"] == [] and first["out_of_sample_metrics"] is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--param-range", "fast=5:50:5", "--method", "annealing"], "unknown method"),
        (["--param-range", "speed=1:5"], "unknown parameter 'speed'"),
        (["--param-range", "fast=1:400", "--param-range", "slow=2:400"], "more than the cap"),
        (["--param-range", "fast=5:10", "--walk-forward", "5000:1000"], "needs at least"),
        (["--param-range", "fast=5:10", "--walk-forward", "10"], "IS:OOS"),
        (["--param-range", "fast=5:10", "--objective", "alpha"], "unknown objective"),
    ],
)
def test_bad_input_is_a_one_line_error_with_exit_code_2(
    candle_file: Path, tmp_path: Path, arguments: list[str], message: str
) -> None:
    result = CliRunner().invoke(
        app,
        ["optimise", "--data", str(candle_file), "--timeframe", "5m", "--workers", "1"]
        + ["--data-dir", str(tmp_path / "var"), *arguments],
    )

    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1
