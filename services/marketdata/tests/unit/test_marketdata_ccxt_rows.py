"""Turning ccxt OHLCV rows into closed candles (ccxt's recorded Kraken fixture, no network)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from crypto_trader.marketdata.adapters.ccxt_fetcher import closed_candles
from crypto_trader.marketdata.domain.market import MarketKey

KRAKEN_BTC_1H = MarketKey("kraken", "BTC/USDT", "1h")


def kraken_ohlcv_case(shared_data_dir: Path) -> dict:
    document = json.loads((shared_data_dir / "ccxt" / "response" / "kraken.json").read_text())
    return document["methods"]["fetchOHLCV"][0]


def test_ccxt_floats_become_the_exchange_decimal_strings(shared_data_dir: Path) -> None:
    case = kraken_ohlcv_case(shared_data_dir)
    raw = {row[0] * 1000: row for row in case["httpResponse"]["result"]["XBTUSDT"]}

    candles = closed_candles(KRAKEN_BTC_1H, case["parsedResponse"], now_ms=2_000_000_000_000)

    assert len(candles) == 3
    for candle in candles:
        exchange_row = raw[candle.open_time_ms]
        # Kraken's row: time, open, high, low, close, vwap, volume, count
        assert [candle.open, candle.high, candle.low, candle.close, candle.volume] == [
            Decimal(exchange_row[index]) for index in (1, 2, 3, 4, 6)
        ]


def test_the_still_forming_candle_is_dropped(shared_data_dir: Path) -> None:
    rows = kraken_ohlcv_case(shared_data_dir)["parsedResponse"]
    last_open = rows[-1][0]

    candles = closed_candles(KRAKEN_BTC_1H, rows, now_ms=last_open + 1_000)

    assert [c.open_time_ms for c in candles] == [row[0] for row in rows[:-1]]


def test_rows_that_are_not_candles_are_skipped() -> None:
    rows = [[3_600_000, 10.0, 9.0, 11.0, 10.0, 1.0], [7_200_000, 10.0, 11.0, 9.0, 10.5, 2.0]]

    candles = closed_candles(KRAKEN_BTC_1H, rows, now_ms=10**13)

    assert [c.open_time_ms for c in candles] == [7_200_000]
