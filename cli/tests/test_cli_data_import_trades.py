"""`ct data import` of trade files: real freqtrade files stored once, malformed rows counted."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.data_import import is_trade_file
from crypto_trader.cli.main import app

runner = CliRunner()


def _import(data_dir: Path, file: Path, *options: str):
    return runner.invoke(app, ["data", "import", str(file), "--data-dir", str(data_dir), *options])


@pytest.fixture(autouse=True)
def _own_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CT_DATABASE_URL", raising=False)


def test_trade_files_are_told_apart_by_their_name() -> None:
    assert is_trade_file(Path("XRP_ETH-trades.json.gz"))
    assert is_trade_file(Path("btcusdt-trades.parquet"))
    assert not is_trade_file(Path("XRP_ETH-5m.feather"))


@pytest.mark.integration
def test_imports_real_trades_once_and_reports_what_it_did(
    tmp_path: Path, shared_data_dir: Path
) -> None:
    file = shared_data_dir / "freqtrade" / "XRP_ETH-trades.feather"

    first = _import(tmp_path, file, "--symbol", "XRP/ETH")
    second = _import(tmp_path, file, "--symbol", "XRP/ETH")

    assert first.exit_code == 0, first.output
    assert (
        "binance XRP/ETH trades from XRP_ETH-trades.feather: "
        "read 12477, stored 12477, duplicates 0, rejected 0" in first.output
    )
    assert "trades from 2019-10-11 00:00 UTC to 2019-10-13 11:19 UTC" in first.output
    assert "read 12477, stored 0, duplicates 12477, rejected 0" in second.output


@pytest.mark.integration
def test_malformed_trades_are_counted_per_reason(tmp_path: Path) -> None:
    file = tmp_path / "export.csv"
    file.write_text(
        "timestamp,id,side,price,amount\n"
        "1600000000000,1,buy,100,1\n"
        "1600000000001,2,buy,-1,1\n"
        "1600000000002,3,hold,100,1\n"
    )

    result = _import(tmp_path, file, "--trades")

    assert result.exit_code == 0, result.output
    assert "read 3, stored 1, duplicates 0, rejected 2" in result.output
    assert "rejected 1: non-positive price or amount" in result.output
    assert "rejected 1: side not buy or sell" in result.output


def test_a_trade_file_without_needed_columns_is_a_one_line_error(tmp_path: Path) -> None:
    file = tmp_path / "BTC_USDT-trades.csv"
    file.write_text("timestamp,price\n1,2\n")

    result = _import(tmp_path, file)

    assert result.exit_code == 2
    assert result.output.startswith("error: trade CSV header")
    assert len(result.output.strip().splitlines()) == 1
