"""`ct backtest`: JSON output, offline HTML report, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app


@pytest.fixture
def candle_file(tmp_path: Path) -> Path:
    rows = []
    for index in range(300):
        close = round(100 + 10 * math.sin(index / 15), 2)
        rows.append([1_600_000_200_000 + index * 300_000, close, close + 1, close - 1, close, 1])
    path = tmp_path / "candles.json"
    path.write_text(json.dumps(rows))
    return path


def test_writes_json_and_an_offline_html_report(candle_file: Path, tmp_path: Path) -> None:
    output, report = tmp_path / "out.json", tmp_path / "report.html"

    result = CliRunner().invoke(
        app,
        [
            "backtest",
            "--data",
            str(candle_file),
            "--strategy",
            "ema_cross",
            "--param",
            "fast=5",
            "--param",
            "slow=20",
            "--param",
            "short=true",
            "--slippage",
            "2",
            "--output",
            str(output),
            "--report",
            str(report),
        ],
    )

    assert result.exit_code == 0, result.output
    document = json.loads(output.read_text())
    assert document["params"] == {"fast": 5, "slow": 20, "short": True}
    assert {trade["side"] for trade in document["trades"]} == {"long", "short"}
    assert {"sharpe", "max_drawdown", "profit_factor"} <= set(document["metrics"])
    html = report.read_text()
    assert "Plotly.newPlot" in html and "<script src=" not in html
    assert "final equity" in result.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--strategy", "nope"], "unknown strategy 'nope'"),
        (["--param", "fast"], "--param must be NAME=VALUE"),
        (["--param", "fast=abc"], "parameter fast must be int"),
        (["--param", "depth=3"], "unknown parameter 'depth'"),
        (["--fee", "2"], "fee must be in [0, 1)"),
    ],
)
def test_bad_input_is_one_line_error_with_exit_2(
    candle_file: Path, arguments: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["backtest", "--data", str(candle_file), *arguments])

    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["backtest", "--data", str(tmp_path / "none.json")])

    assert result.exit_code == 2
    assert "no candle file" in result.output


def test_orders_fee_schedule_and_slippage_model_options(candle_file: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    arguments = ["backtest", "--data", str(candle_file), "--strategy", "sma_cross"]
    arguments += ["--param", "fast=5", "--param", "slow=20", "--output", str(output)]
    arguments += ["--fee-model", "exchange", "--exchange", "kraken", "--taker-fee", "0.003"]
    arguments += ["--slippage-model", "volume", "--order-type", "limit"]
    arguments += ["--entry-offset-bps", "20", "--stop-loss", "0.03", "--take-profit", "0.05"]

    result = CliRunner().invoke(app, arguments)

    assert result.exit_code == 0, result.output
    document = json.loads(output.read_text())
    assert (document["maker_fee"], document["taker_fee"]) == (0.0025, 0.003)
    assert document["slippage_model"] == "VolumeShareSlippage"
    assert document["order_type"] == "limit"
    assert document["trades"]
    assert {trade["exit_reason"] for trade in document["trades"]} <= {
        "signal",
        "stop",
        "take_profit",
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--slippage-model", "magic"], "slippage model must be one of"),
        (["--order-type", "iceberg"], "order type must be one of"),
        (["--fee-model", "tiered"], "--fee-model must be flat or exchange"),
    ],
)
def test_bad_engine_options_exit_2(candle_file: Path, arguments: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["backtest", "--data", str(candle_file), *arguments])

    assert result.exit_code == 2
    assert message in result.output
