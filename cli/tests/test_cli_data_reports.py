"""`ct data list` and `ct data check`: coverage with gaps, and malformed-data reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app

runner = CliRunner(env={"COLUMNS": "200"})
NFI_BTC_1H = Path("nostalgiaforinfinity/binance/BTC_USDT-1h.json")


@pytest.fixture(autouse=True)
def _own_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CT_DATABASE_URL", raising=False)


def test_list_shows_each_stored_market_with_its_gaps(tmp_path: Path, shared_data_dir: Path) -> None:
    imported = runner.invoke(
        app,
        [
            "data",
            "import",
            str(shared_data_dir / NFI_BTC_1H),
            "--timeframe",
            "1h",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert imported.exit_code == 0, imported.output

    result = runner.invoke(app, ["data", "list", "--data-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert "BTC/USDT" in result.output
    assert "5,482" in result.output
    assert "2021-04-25 04:00→2021-04-25 08:00 (3)" in result.output.replace("\n", "")
    assert "--repair-gaps" in result.output


def test_list_of_an_empty_store_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "list", "--data-dir", str(tmp_path)])

    assert result.exit_code == 0
    assert "no candles" in result.output


def test_check_reports_each_problem_of_a_file_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "1606781100000,10,12,9,11,1\n"
        "1606780800000,10,12,9,11,1\n"
        "1606781100000,10,12,9,11,1\n"
        "1606781400000,10,8,9,9,1\n"
        "1606781700000,10,12,9,NaN,1\n"
        "1606782000000,10,12,9,11,-1\n"
        "1606782060000,10,12,9,11,1\n"
    )

    result = runner.invoke(app, ["data", "check", str(path), "--data-dir", str(tmp_path)])

    assert result.exit_code == 1, result.output
    for reason in (
        "high below low",
        "NaN or infinite value",
        "negative volume",
        "not aligned",
        "out of order",
        "duplicate",
    ):
        assert reason in result.output


def test_check_of_the_stored_candles_finds_them_clean(tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text("timestamp,open,high,low,close,volume\n1606780800000,10,12,9,11,1\n")
    runner.invoke(app, ["data", "import", str(path), "--data-dir", str(tmp_path)])

    result = runner.invoke(app, ["data", "check", "--stored", "--data-dir", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert "clean" in result.output


def test_check_needs_a_file_or_stored(tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "check", "--data-dir", str(tmp_path)])

    assert result.exit_code == 2
