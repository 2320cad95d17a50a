"""`ct data download` from a stand-in exchange (resumable) and the export/import round trip."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app
from crypto_trader.common.embedded import free_port
from crypto_trader.marketdata.adapters.exchanges.testing import SERIES_START_MS, StandInExchange
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.importer import migrate_store

runner = CliRunner(env={"COLUMNS": "200"})
MINUTE = 60_000
KEY = MarketKey("binance", "BTC/USDT", "1m")
NOW_MS = SERIES_START_MS + 30 * MINUTE + 10_000


@pytest.fixture(autouse=True)
def _own_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CT_DATABASE_URL", raising=False)
    monkeypatch.delenv("CT_MARKETDATA_EXCHANGE_API_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandInExchange]:
    # The CLI runs its own event loop: the stand-in serves from a loop in a thread.
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(
        StandInExchange("binance", lambda: NOW_MS).start(), loop
    ).result(timeout=10)
    yield server
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=5)


def _stored(data_dir: Path, key: MarketKey = KEY) -> list[object]:
    store = migrate_store(f"sqlite:///{data_dir.resolve() / 'marketdata.db'}")
    try:
        return list(store.read_candles(key))
    finally:
        store.dispose()


def _download(data_dir: Path, *extra: str) -> object:
    return runner.invoke(
        app,
        ["data", "download", "--symbol", "BTC/USDT", "--timeframe", "1m", "--data-dir",
         str(data_dir), *extra],
    )  # fmt: skip


def test_download_resumes_after_the_last_stored_candle(
    tmp_path: Path, stand_in: StandInExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CT_MARKETDATA_EXCHANGE_API_BASE_URL", stand_in.url)
    since = str(SERIES_START_MS)

    first = _download(tmp_path, "--since", since, "--until", str(SERIES_START_MS + 10 * MINUTE))
    requests_before = len(stand_in.requests)
    second = _download(tmp_path, "--since", since)

    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    assert second.exit_code == 0, second.output  # type: ignore[attr-defined]
    assert "20 new candles" in second.output  # type: ignore[attr-defined]
    resumed = [path for path in stand_in.requests[requests_before:] if "klines" in path]
    assert f"startTime={SERIES_START_MS + 10 * MINUTE}" in resumed[0]
    times = [candle.open_time_ms for candle in _stored(tmp_path)]  # type: ignore[attr-defined]
    assert times == [SERIES_START_MS + i * MINUTE for i in range(30)]


def test_download_from_an_unreachable_exchange_fails_with_one_line(tmp_path: Path) -> None:
    result = _download(
        tmp_path, "--since", "2024-01-01", "--api-base-url", f"http://127.0.0.1:{free_port()}"
    )

    assert result.exit_code == 2  # type: ignore[attr-defined]
    lines = result.output.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach binance")


@pytest.mark.parametrize("file_format", ["csv", "json", "parquet"])
def test_export_then_import_gives_back_the_same_candles(
    tmp_path: Path, stand_in: StandInExchange, file_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CT_MARKETDATA_EXCHANGE_API_BASE_URL", stand_in.url)
    source, target = tmp_path / "source", tmp_path / "target"
    out = tmp_path / f"BTC_USDT-1m.{file_format}"
    assert _download(source, "--since", str(SERIES_START_MS)).exit_code == 0  # type: ignore[attr-defined]

    exported = runner.invoke(
        app,
        ["data", "export", str(out), "--symbol", "BTC/USDT", "--timeframe", "1m", "--format",
         file_format, "--data-dir", str(source)],
    )  # fmt: skip
    imported = runner.invoke(
        app,
        ["data", "import", str(out), "--symbol", "BTC/USDT", "--timeframe", "1m", "--data-dir",
         str(target)],
    )  # fmt: skip

    assert exported.exit_code == 0, exported.output
    assert imported.exit_code == 0, imported.output
    original = _stored(source)
    assert len(original) == 30
    assert _stored(target) == original
