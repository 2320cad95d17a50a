"""`ct data download` from a stand-in exchange (resumable, gap repair) and export/import."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app
from crypto_trader.common.embedded import free_port
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.adapters.exchanges.testing import (
    ROUTES,
    SERIES_START_MS,
    StandInExchange,
    series_row,
)
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


@contextmanager
def _serving(server: StandInExchange) -> Iterator[StandInExchange]:
    # The CLI runs its own event loop: the stand-in serves from a loop in a thread.
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def stand_in() -> Iterator[StandInExchange]:
    with _serving(StandInExchange("binance", lambda: NOW_MS)) as server:
        yield server


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


# ----------------------------------------------------------------------------------- gap repair

GAP = (SERIES_START_MS + 5 * MINUTE, SERIES_START_MS + 9 * MINUTE)  # four candles


def _klines_without_gap(server: Any, query: Mapping[str, str]) -> Any:
    # The exchange itself lacks the gap's candles (an outage on its side).
    rows = ROUTES["binance"]["/api/v3/klines"](server, query)
    return [row for row in rows if not GAP[0] <= row[0] < GAP[1]]


def _store_series_with_gaps(data_dir: Path) -> None:
    # 30 closed candles of the stand-in's series, less the gap and one lone candle.
    candles = [
        Candle("binance", "BTC/USDT", "1m", t, *(Decimal(value) for value in values))
        for t, *values in (series_row(SERIES_START_MS + i * MINUTE, "1m") for i in range(30))
        if not GAP[0] <= t < GAP[1] and t != SERIES_START_MS + 20 * MINUTE
    ]
    data_dir.mkdir(parents=True, exist_ok=True)
    store = migrate_store(f"sqlite:///{data_dir.resolve() / 'marketdata.db'}")
    try:
        store.add_candles(candles)
    finally:
        store.dispose()


def _gap_requests(server: StandInExchange) -> list[str]:
    return [path for path in server.requests if f"startTime={GAP[0]}" in path]


def test_repair_gaps_fills_every_gap_the_exchange_has_candles_for(
    tmp_path: Path, stand_in: StandInExchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CT_MARKETDATA_EXCHANGE_API_BASE_URL", stand_in.url)
    _store_series_with_gaps(tmp_path)

    result = _download(tmp_path, "--since", str(SERIES_START_MS), "--repair-gaps")

    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "2 gaps (5 candles missing), 5 candles repaired" in result.output  # type: ignore[attr-defined]
    assert "no data" not in result.output  # type: ignore[attr-defined]
    times = [candle.open_time_ms for candle in _stored(tmp_path)]  # type: ignore[attr-defined]
    assert times == [SERIES_START_MS + i * MINUTE for i in range(30)]


def test_repair_gaps_reports_a_gap_the_exchange_lacks_once_and_then_skips_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_series_with_gaps(tmp_path)
    exchange = StandInExchange(
        "binance", lambda: NOW_MS, overrides={"/api/v3/klines": _klines_without_gap}
    )
    with _serving(exchange) as server:
        monkeypatch.setenv("CT_MARKETDATA_EXCHANGE_API_BASE_URL", server.url)

        first = _download(tmp_path, "--since", str(SERIES_START_MS), "--repair-gaps")
        asked_first = len(_gap_requests(server))
        second = _download(tmp_path, "--since", str(SERIES_START_MS), "--repair-gaps")

    assert first.exit_code == 0, first.output  # type: ignore[attr-defined]
    assert second.exit_code == 0, second.output  # type: ignore[attr-defined]
    assert "1 candles repaired" in first.output  # type: ignore[attr-defined]
    assert (
        "exchange has no data for 4 candles: 2023-11-14 22:05 UTC → 2023-11-14 22:08 UTC (4); "
        "remembered"
    ) in first.output  # type: ignore[attr-defined]
    assert "known from an earlier run, not asked for" in second.output  # type: ignore[attr-defined]
    assert asked_first == 1
    assert len(_gap_requests(server)) == asked_first
    times = [candle.open_time_ms for candle in _stored(tmp_path)]  # type: ignore[attr-defined]
    assert len(times) == len(set(times)) == 26


def test_retry_outages_asks_again_for_a_remembered_gap_and_fills_it_once_the_exchange_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_series_with_gaps(tmp_path)
    lacking = StandInExchange(
        "binance", lambda: NOW_MS, overrides={"/api/v3/klines": _klines_without_gap}
    )
    with _serving(lacking) as server:
        monkeypatch.setenv("CT_MARKETDATA_EXCHANGE_API_BASE_URL", server.url)
        remembered = _download(tmp_path, "--since", str(SERIES_START_MS), "--repair-gaps")
    # Later the exchange publishes the missing candles (a late correction on its side).
    with _serving(StandInExchange("binance", lambda: NOW_MS)) as server:
        monkeypatch.setenv("CT_MARKETDATA_EXCHANGE_API_BASE_URL", server.url)
        skipped = _download(tmp_path, "--since", str(SERIES_START_MS), "--repair-gaps")
        asked_when_skipped = len(_gap_requests(server))
        retried = _download(tmp_path, "--since", str(SERIES_START_MS), "--retry-outages")

    assert remembered.exit_code == skipped.exit_code == retried.exit_code == 0
    assert "known from an earlier run, not asked for" in skipped.output  # type: ignore[attr-defined]
    assert asked_when_skipped == 0
    assert "1 gaps (4 candles missing), 4 candles repaired" in retried.output  # type: ignore[attr-defined]
    assert "no data" not in retried.output  # type: ignore[attr-defined]
    times = [candle.open_time_ms for candle in _stored(tmp_path)]  # type: ignore[attr-defined]
    assert times == [SERIES_START_MS + i * MINUTE for i in range(30)]
