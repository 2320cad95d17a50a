"""Reading trade files: freqtrade's real files in every format, CSV, and malformed rows."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side
from crypto_trader.marketdata.adapters import trade_files
from crypto_trader.marketdata.adapters.trade_files import read_trade_file
from crypto_trader.marketdata.domain.trade import TradeTick, trade_order


def _read(path: Path, symbol: str = "XRP/ETH") -> trade_files.TradeFile:
    return read_trade_file(path, exchange="binance", symbol=symbol)


class TestTradeTick:
    @pytest.mark.parametrize(
        ("price", "amount"),
        [("0", "1"), ("1", "0"), ("-1", "1"), ("NaN", "1"), ("1", "Infinity")],
    )
    def test_refuses_a_price_or_amount_that_is_not_positive_and_finite(
        self, price: str, amount: str
    ) -> None:
        with pytest.raises(InvalidInput):
            TradeTick("binance", "BTC/USDT", "1", 0, Side.BUY, Decimal(price), Decimal(amount))

    @pytest.mark.parametrize("trade_id", ["", "9" * 65])
    def test_refuses_an_id_the_store_cannot_key(self, trade_id: str) -> None:
        with pytest.raises(InvalidInput):
            TradeTick("binance", "BTC/USDT", trade_id, 0, Side.BUY, Decimal(1), Decimal(1))

    def test_refuses_a_trade_without_a_taker_side(self) -> None:
        with pytest.raises(InvalidInput):
            TradeTick("kraken", "BTC/USDT", "1", 0, None, Decimal(1), Decimal(1))  # type: ignore[arg-type]

    def test_a_taker_sell_means_the_buyer_was_the_maker(self) -> None:
        trade = TradeTick("binance", "BTC/USDT", "1", 0, Side.SELL, Decimal(1), Decimal(1))
        assert trade.buyer_is_maker

    def test_numeric_ids_order_as_numbers_within_a_millisecond(self) -> None:
        assert trade_order(5, "999") < trade_order(5, "1000") < trade_order(6, "1")


@pytest.mark.integration
class TestFreqtradeFiles:
    def test_feather_json_and_parquet_hold_the_same_trades(self, shared_data_dir: Path) -> None:
        folder = shared_data_dir / "freqtrade"

        feather = _read(folder / "XRP_ETH-trades.feather")
        json_gz = _read(folder / "XRP_ETH-trades.json.gz")
        parquet = _read(folder / "XRP_ETH-trades.parquet")

        assert len(feather.trades) == 12_477
        assert feather.trades == json_gz.trades == parquet.trades
        assert (feather.rejected, feather.duplicates) == ({}, 0)
        first = feather.trades[0]
        assert (first.trade_id, first.ts_event, first.side) == (
            "13519807",
            1570752011620,
            Side.SELL,
        )
        assert (first.price, first.amount) == (Decimal("0.00141342"), Decimal("23"))

    def test_ccxt_trade_dicts_read_like_the_rows(self, shared_data_dir: Path) -> None:
        folder = shared_data_dir / "freqtrade"

        old = _read(folder / "XRP_OLD-trades.json.gz")

        assert old.trades == _read(folder / "XRP_ETH-trades.json.gz").trades

    def test_a_buyer_maker_column_gives_the_taker_side(self, shared_data_dir: Path) -> None:
        path = shared_data_dir / "nautilus_trader" / "binance" / "btcusdt-trades.parquet"

        trades = _read(path, "BTC/USDT").trades

        assert len(trades) == 2001
        assert (trades[0].trade_id, trades[0].side, trades[1].side) == (
            "553287559",
            Side.SELL,
            Side.BUY,
        )


class TestCsvAndMalformedRows:
    def test_rejects_bad_rows_with_a_count_per_reason(self, tmp_path: Path) -> None:
        path = tmp_path / "BTC_USDT-trades.csv"
        path.write_text(
            "timestamp,id,side,price,amount\n"
            "1600000000000,1,buy,100.5,0.1\n"
            "1600000000001,2,sell,100.4,0.2\n"
            "1600000000001,2,sell,100.4,0.2\n"  # the same trade twice
            "1600000000002,2,buy,100.4,0.2\n"  # another trade with id 2
            "1600000000003,3,buy,0,0.2\n"
            "1600000000004,4,buy,100,-1\n"
            "1600000000005,5,buy,NaN,1\n"
            "1600000000006,6,hold,100,1\n"
            "yesterday,7,buy,100,1\n"
            "1600000000008,,buy,100,1\n"
            "1600000000009,9,buy\n"
        )

        read = _read(path, "BTC/USDT")

        assert [trade.trade_id for trade in read.trades] == ["1", "2"]
        assert read.trades[0].price == Decimal("100.5")
        assert (read.rows_read, read.duplicates) == (11, 1)
        assert read.rejected == {
            trade_files.REASON_CONFLICT: 1,
            trade_files.REASON_NOT_POSITIVE: 2,
            trade_files.REASON_NOT_FINITE: 1,
            trade_files.REASON_BAD_SIDE: 1,
            trade_files.REASON_BAD_TIME: 1,
            trade_files.REASON_NO_ID: 1,
            trade_files.REASON_MALFORMED: 1,
        }

    def test_microsecond_times_are_floored_to_the_millisecond(self, tmp_path: Path) -> None:
        path = tmp_path / "trades.csv"
        path.write_text("time,trade_id,side,price,qty\n1600000000000123456,1,SELL,1,1\n")

        assert _read(path, "BTC/USDT").trades[0].ts_event == 1_600_000_000_000

    def test_a_header_without_a_side_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "trades.csv"
        path.write_text("timestamp,id,price,amount\n1600000000000,1,1,1\n")

        with pytest.raises(InvalidInput, match="side"):
            _read(path, "BTC/USDT")

    def test_json_nan_is_rejected_not_raised(self, tmp_path: Path) -> None:
        path = tmp_path / "trades.json.gz"
        with gzip.open(path, "wt") as stream:
            stream.write(json.dumps([[1, "1", None, "buy", 1.5, 2.0, 3.0]]).replace("1.5", "NaN"))

        read = _read(path, "BTC/USDT")

        assert read.trades == [] and read.rejected == {trade_files.REASON_NOT_FINITE: 1}

    def test_an_unknown_format_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "trades.xlsx"
        path.write_bytes(b"")

        with pytest.raises(InvalidInput, match="unknown trade file format"):
            _read(path, "BTC/USDT")
