"""``import_candle_file``: the public import used by ``ct data import``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.adapters.candle_files import REASON_HIGH_BELOW_LOW, REASON_MISALIGNED
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.importer import import_candle_file, migrate_store

pytestmark = pytest.mark.integration


def test_imports_every_row_of_the_binance_btc_5m_file(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'md.db'}"
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    progress: list[tuple[int, int]] = []

    report = import_candle_file(
        url,
        path,
        exchange="binance",
        symbol="BTC/USDT",
        timeframe="5m",
        progress=lambda d, t: progress.append((d, t)),
    )

    assert (report.rows_read, report.stored, report.duplicates_skipped, report.rejected) == (
        65_741,
        65_741,
        0,
        {},
    )
    assert (report.first_open_time_ms, report.last_open_time_ms) == (
        1_606_780_800_000,
        1_626_555_900_000,
    )
    assert progress[-1] == (65_741, 65_741)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)


def test_imports_once_on_every_database_and_reports_rejects(
    database_url: str, tmp_path: Path
) -> None:
    t0 = 1_606_780_800_000
    path = tmp_path / "eth.json"
    path.write_text(
        json.dumps(
            [
                [t0, 1, 2, 0.5, 1.5, 3],
                [t0 + 60_000, 1, 2, 0.5, 1.5, 3],
                [t0 + 60_000, 1, 2, 0.5, 1.5, 3],
                [t0 + 120_000, 1, 0.2, 0.5, 1.5, 3],
                [t0 + 90_000, 1, 2, 0.5, 1.5, 3],
            ]
        )
    )

    report = import_candle_file(
        database_url, path, exchange="binance", symbol="ETH/USDT", timeframe="1m"
    )
    again = import_candle_file(
        database_url, path, exchange="binance", symbol="ETH/USDT", timeframe="1m"
    )

    assert (report.rows_read, report.stored, report.duplicates_skipped) == (5, 2, 1)
    assert report.rejected == {REASON_HIGH_BELOW_LOW: 1, REASON_MISALIGNED: 1}
    assert report.rejected_total == 2
    assert (again.stored, again.duplicates_skipped) == (0, 3)
    store = migrate_store(database_url)
    try:
        assert store.count_candles(MarketKey("binance", "ETH/USDT", "1m")) == 2
    finally:
        store.dispose()


def test_a_bad_market_is_invalid_input(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[]")
    with pytest.raises(InvalidInput, match="symbol"):
        import_candle_file(
            f"sqlite:///{tmp_path / 'md.db'}",
            path,
            exchange="binance",
            symbol="BTCUSDT",
            timeframe="5m",
        )
