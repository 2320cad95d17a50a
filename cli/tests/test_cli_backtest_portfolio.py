"""`ct backtest` with several symbols: one cash balance, the domain's portfolio result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app
from crypto_trader.common.sizing import Sizing
from crypto_trader.strategy.domain.backtesting import (
    BacktestConfig,
    PortfolioResult,
    run_portfolio_backtest,
)
from crypto_trader.strategy.domain.framework import create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame

BINANCE = Path("nostalgiaforinfinity") / "binance"
SYMBOLS = {"BTC/USDT": "BTC_USDT-5m.json", "ETH/USDT": "ETH_USDT-5m.json"}
PARAMS = {"fast": 20, "slow": 50}
SHARED = ["--sizing", "fraction_of_equity", "--sizing-value", "0.5", "--timeframe", "5m"]
SHARED += ["--param", "fast=20", "--param", "slow=50", "--fee", "0.001", "--cash", "10000"]

runner = CliRunner()


@pytest.fixture(autouse=True)
def _own_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CT_DATABASE_URL", raising=False)


def _rows(shared_data_dir: Path) -> dict[str, list[list[float]]]:
    return {
        symbol: json.loads((shared_data_dir / BINANCE / name).read_text())
        for symbol, name in SYMBOLS.items()
    }


def _domain_result(rows: dict[str, list[list[float]]]) -> PortfolioResult:
    """The engine's own multi-symbol backtest on the candle times both symbols have."""
    common = set.intersection(*({row[0] for row in table} for table in rows.values()))
    frames = {
        symbol: CandleFrame.from_rows([row for row in table if row[0] in common])
        for symbol, table in rows.items()
    }
    strategies = {symbol: create_strategy("sma_cross", PARAMS) for symbol in frames}
    config = BacktestConfig(initial_cash=10_000.0, sizing=Sizing("fraction_of_equity", 0.5, 0.0))
    return run_portfolio_backtest(strategies, frames, config)


def _backtest(*arguments: str) -> tuple[dict[str, Any], str]:
    output = Path(arguments[arguments.index("--output") + 1])
    result = runner.invoke(app, ["backtest", *SHARED, *arguments])
    assert result.exit_code == 0, result.output
    return json.loads(output.read_text()), result.output


def _data_options(folder: Path) -> list[str]:
    return [item for s, name in SYMBOLS.items() for item in ("--data", f"{s}={folder / name}")]


class TestTwoSymbolsFromFiles:
    def test_equals_the_engines_portfolio_result_with_one_shared_cash_balance(
        self, shared_data_dir: Path, tmp_path: Path
    ) -> None:
        output, report = tmp_path / "out.json", tmp_path / "report.html"

        document, printed = _backtest(
            *_data_options(shared_data_dir / BINANCE),
            "--output",
            str(output),
            "--report",
            str(report),
        )

        rows = _rows(shared_data_dir)
        expected = _domain_result(rows)
        assert document["symbols"] == list(SYMBOLS)
        assert document["candles"] == len(expected.open_time_ms) > 65_000
        # the ETH file has one candle more at its end than the BTC file
        assert document["dropped_candles"] == {"BTC/USDT": 0, "ETH/USDT": 1}
        assert document["final_equity"] == expected.final_equity
        assert document["cash"] == expected.cash
        assert document["fills"] == expected.fills
        assert document["metrics"]["trades"] == len(expected.trades)
        for symbol, frame_rows in rows.items():
            mine = document["per_symbol"][symbol]
            theirs = [t for t in expected.trades if t.symbol == symbol]
            assert len(mine["trades"]) == len(theirs) > 100
            assert [
                (t["entry_time_ms"], t["exit_time_ms"], t["size"], t["pnl"]) for t in mine["trades"]
            ] == [(t.entry_time_ms, t.exit_time_ms, t.size, t.pnl) for t in theirs]
            assert mine["position"] == expected.positions[symbol][-1]
            assert mine["last_close"] == frame_rows[len(expected.open_time_ms) - 1][4]
        # one cash balance: what is left plus what both symbols hold is the final equity
        held = sum(s["position_value"] for s in document["per_symbol"].values())
        assert document["final_equity"] == pytest.approx(document["cash"] + held, rel=1e-12)
        assert all(s["position"] > 0 for s in document["per_symbol"].values())
        # each symbol sizes from the shared equity, so both were held at once at some point
        both = np.logical_and(*(p != 0 for p in expected.positions.values()))
        assert both.any()
        # plotly writes "/" inside its JSON as \u002f
        html = report.read_text().replace("\\u002f", "/")
        assert "BTC/USDT close, entries and exits" in html
        assert "ETH/USDT close, entries and exits" in html
        assert "<script src=" not in html
        assert "BTC/USDT" in printed and "ETH/USDT" in printed and "final equity" in printed

    def test_one_symbol_given_as_symbol_equals_file_keeps_the_single_symbol_output(
        self, shared_data_dir: Path, tmp_path: Path
    ) -> None:
        path = shared_data_dir / BINANCE / SYMBOLS["BTC/USDT"]

        named, _ = _backtest("--data", f"BTC/USDT={path}", "--output", str(tmp_path / "a"))
        plain, _ = _backtest("--data", str(path), "--output", str(tmp_path / "b"))

        assert "per_symbol" not in named
        assert named == plain


class TestTwoSymbolsFromTheStore:
    def test_repeated_symbol_reads_the_store_and_equals_the_same_files(
        self, shared_data_dir: Path, tmp_path: Path
    ) -> None:
        # One week of each market, written as files and imported into a fresh store.
        files = tmp_path / "files"
        files.mkdir()
        data_dir = tmp_path / "var"
        start, end = 1_619_827_200_000, 1_620_432_000_000  # 2021-05-01 .. 2021-05-08
        for symbol, table in _rows(shared_data_dir).items():
            week = [row for row in table if start <= row[0] < end]
            (files / SYMBOLS[symbol]).write_text(json.dumps(week))
            market = ["--exchange", "binance", "--symbol", symbol, "--timeframe", "5m"]
            market += ["--data-dir", str(data_dir)]
            imported = runner.invoke(app, ["data", "import", str(files / SYMBOLS[symbol]), *market])
            assert imported.exit_code == 0, imported.output

        stored, _ = _backtest(
            "--symbol", "BTC/USDT", "--symbol", "ETH/USDT", "--data-dir", str(data_dir),
            "--since", "2021-05-01", "--output", str(tmp_path / "store.json"),
        )  # fmt: skip
        from_files, _ = _backtest(*_data_options(files), "--output", str(tmp_path / "files.json"))

        assert stored["data"] == {
            "BTC/USDT": "store:binance/BTC/USDT/5m",
            "ETH/USDT": "store:binance/ETH/USDT/5m",
        }
        assert stored["candles"] == 7 * 288
        assert stored["per_symbol"]["ETH/USDT"]["trades"]
        assert {k: v for k, v in stored.items() if k != "data"} == {
            k: v for k, v in from_files.items() if k != "data"
        }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--data", "a.json", "--data", "b.json"], "give each of several --data as SYMBOL=FILE"),
        (["--data", "BTC/USDT=a.json", "--symbol", "ETH/USDT"], "leave out --symbol"),
        (["--data", "a.json", "--symbol", "BTC/USDT", "--symbol", "ETH/USDT"], "one --data FILE"),
        (["--symbol", "BTC/USDT", "--symbol", "BTC/USDT"], "symbol BTC/USDT given twice"),
        (["--data", "BTCUSDT=a.json", "--data", "ETH/USDT=b.json"], "symbol must look like"),
        (["--symbol", "BTC/USDT", "--symbol", "ETH/USDT"], "no candles stored for binance"),
    ],
)
def test_bad_symbol_options_are_one_line_errors_with_exit_2(
    arguments: list[str], message: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["backtest", *arguments, "--data-dir", str(tmp_path)])

    assert result.exit_code == 2
    assert message in result.output and result.output.count("\n") == 1


def test_symbols_without_a_common_candle_time_are_refused(tmp_path: Path) -> None:
    for name, start in (("a.json", 1_600_000_200_000), ("b.json", 1_700_000_100_000)):
        rows = [[start + i * 300_000, 100 + i % 7, 108, 99, 101, 1] for i in range(50)]
        (tmp_path / name).write_text(json.dumps(rows))

    result = runner.invoke(
        app,
        ["backtest", "--timeframe", "5m", "--data", f"BTC/USDT={tmp_path / 'a.json'}"]
        + ["--data", f"ETH/USDT={tmp_path / 'b.json'}"],
    )

    assert result.exit_code == 2
    assert "the candles of BTC/USDT, ETH/USDT share no open time" in result.output
