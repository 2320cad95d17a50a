"""`ct backtest` without --data reads the market's candles from the candle store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app

NFI_BTC_5M = Path("nostalgiaforinfinity") / "binance" / "BTC_USDT-5m.json"
MARKET = ["--exchange", "binance", "--symbol", "BTC/USDT", "--timeframe", "5m"]

runner = CliRunner()


@pytest.fixture(autouse=True)
def _own_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CT_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def stored(shared_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the real Binance BTC/USDT 5m file, imported with `ct data import`."""
    data_dir = tmp_path_factory.mktemp("store") / "var"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CT_DATABASE_URL", raising=False)
        imported = runner.invoke(
            app,
            [
                "data",
                "import",
                str(shared_data_dir / NFI_BTC_5M),
                *MARKET,
                "--data-dir",
                str(data_dir),
            ],
        )
    assert imported.exit_code == 0, imported.output
    return data_dir


def _backtest(*arguments: str) -> dict[str, object]:
    output = Path(arguments[arguments.index("--output") + 1])
    result = runner.invoke(
        app, ["backtest", "--param", "fast=20", "--param", "slow=50", *arguments]
    )
    assert result.exit_code == 0, result.output
    return json.loads(output.read_text())


def test_stored_candles_give_the_same_result_as_the_file(
    stored: Path, tmp_path: Path, shared_data_dir: Path
) -> None:
    file = shared_data_dir / NFI_BTC_5M

    from_store = _backtest(*MARKET, "--data-dir", str(stored), "--output", str(tmp_path / "s"))
    from_file = _backtest(*MARKET, "--data", str(file), "--output", str(tmp_path / "f"))

    assert from_store["candles"] == from_file["candles"]
    assert from_store["final_equity"] == from_file["final_equity"]
    assert from_store["trades"] == from_file["trades"]
    assert len(from_file["trades"]) > 10  # type: ignore[arg-type]


def test_since_and_until_select_a_stored_range(stored: Path, tmp_path: Path) -> None:
    document = _backtest(
        *MARKET,
        "--data-dir",
        str(stored),
        "--since",
        "2021-05-01",
        "--until",
        "2021-05-02",
        "--output",
        str(tmp_path / "out.json"),
    )

    assert document["candles"] == 288
    assert document["start"] == "2021-05-01T00:00:00Z"


def test_nothing_stored_for_the_market_is_one_line_error_with_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["backtest", *MARKET, "--data-dir", str(tmp_path)])

    assert result.exit_code == 2
    assert "no candles stored for binance BTC/USDT 5m" in result.output
    assert result.output.count("\n") == 1
