"""Reading candle files: real exchange files in every supported format, and rejected rows."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from pyarrow import feather
from pyarrow import parquet as pq

from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.adapters import candle_files
from crypto_trader.marketdata.adapters.candle_files import read_candle_file

NFI_BTC_5M = "nostalgiaforinfinity/binance/BTC_USDT-5m.json"
UNITTEST_1M_JSON = "freqtrade/UNITTEST_BTC-1m.json"
UNITTEST_1M_FEATHER = "freqtrade/UNITTEST_BTC-1m.feather"
FTX_PERP_CSV = "nautilus_trader/btc-perp-20211231-20220201_1m.csv"
ADA_KLINES = "nautilus_trader/ADABTC-1m-2021-11-27.csv"


def read(path: Path, timeframe: str = "5m", symbol: str = "BTC/USDT") -> candle_files.CandleFile:
    return read_candle_file(path, exchange="binance", symbol=symbol, timeframe=timeframe)


class TestRealFiles:
    def test_reads_every_row_of_the_binance_btc_5m_json_exactly(
        self, shared_data_dir: Path
    ) -> None:
        contents = read(shared_data_dir / NFI_BTC_5M)

        assert contents.rows_read == 65_741
        assert len(contents.candles) == 65_741
        assert contents.rejected == {}
        assert contents.duplicates == 0
        first = contents.candles[0]
        assert first.open_time_ms == 1_606_780_800_000  # 2020-12-01 00:00 UTC
        assert (first.open, first.high, first.low, first.close, first.volume) == (
            Decimal("19695.87"),
            Decimal("19720.0"),
            Decimal("19578.96"),
            Decimal("19607.03"),
            Decimal("794.500517"),
        )
        assert contents.candles[-1].open_time_ms == 1_626_555_900_000  # 2021-07-17 21:05 UTC

    def test_json_and_feather_copies_of_the_same_data_give_identical_candles(
        self, shared_data_dir: Path
    ) -> None:
        from_json = read(shared_data_dir / UNITTEST_1M_JSON, "1m", "UNITTEST/BTC")
        from_feather = read(shared_data_dir / UNITTEST_1M_FEATHER, "1m", "UNITTEST/BTC")

        assert len(from_json.candles) == 13_681
        assert from_feather.candles == from_json.candles

    def test_feather_floats_keep_the_exchange_decimals(self, shared_data_dir: Path) -> None:
        contents = read(shared_data_dir / UNITTEST_1M_FEATHER, "1m", "UNITTEST/BTC")
        # Stored in the file as 0.0016200000000000001 (one ulp off 0.00162).
        assert contents.candles[3].close == Decimal("0.00162")

    def test_reads_a_csv_with_a_timestamp_header(self, shared_data_dir: Path) -> None:
        contents = read(shared_data_dir / FTX_PERP_CSV, "1m", "BTC/USD:USD")

        assert contents.rows_read == 45_031
        assert len(contents.candles) == 45_031
        assert contents.rejected == {}
        first = contents.candles[0]
        assert first.open_time_ms == 1_640_991_660_000  # 2021-12-31 23:01 UTC
        assert first.volume == Decimal("2300413.7295")
        times = [candle.open_time_ms for candle in contents.candles]
        assert all(b - a == 60_000 for a, b in zip(times, times[1:], strict=False))

    def test_reads_a_headerless_binance_kline_csv(self, shared_data_dir: Path) -> None:
        contents = read(shared_data_dir / ADA_KLINES, "1m", "ADA/BTC")

        assert len(contents.candles) == 10
        first = contents.candles[0]
        assert first.open_time_ms == 1_637_971_200_000
        assert first.open == Decimal("0.00002853")
        assert first.volume == Decimal("36304.20000000")


def write_json(path: Path, rows: list[list[object]]) -> Path:
    path.write_text(json.dumps(rows).replace('"NaN"', "NaN"))
    return path


GOOD = [1_606_780_800_000, "100", "110", "90", "105", "5"]


class TestRejectedRows:
    def test_json_rows_that_are_not_candles_are_counted_per_reason(self, tmp_path: Path) -> None:
        t0, step = 1_606_780_800_000, 300_000
        text = json.dumps(
            [
                [t0 + 2 * step, 100, 110, 90, 105, 5],
                [t0, 100, 110, 90, 105, 5],
                [t0 + step, 100, 90, 110, 105, 5],  # high below low
                [t0 + 3 * step, 100, 110, 90, 105, -1],  # negative volume
                [t0 + 4 * step, 100, 110, 90, 120, 5],  # close above high
                [t0 + 60_000, 100, 110, 90, 105, 5],  # not on a 5m boundary
                [t0 + 5 * step, "NaN", 110, 90, 105, 5],
                [t0 + 6 * step, 100, 110],  # too short
                [t0, 100, 110, 90, 105, 5],  # exact duplicate
                [t0 + 2 * step, 101, 110, 90, 105, 5],  # same time, other values
                ["yesterday", 100, 110, 90, 105, 5],
            ]
        ).replace('"NaN"', "NaN")
        path = tmp_path / "candles.json"
        path.write_text(text)

        contents = read(path)

        assert [c.open_time_ms for c in contents.candles] == [t0, t0 + 2 * step]
        assert contents.candles[1].open == Decimal(100)  # the first row of a time wins
        assert contents.rows_read == 11
        assert contents.duplicates == 1
        assert contents.rejected == {
            candle_files.REASON_HIGH_BELOW_LOW: 1,
            candle_files.REASON_NEGATIVE_VOLUME: 1,
            candle_files.REASON_OUTSIDE_RANGE: 1,
            candle_files.REASON_MISALIGNED: 1,
            candle_files.REASON_NOT_FINITE: 1,
            candle_files.REASON_MALFORMED: 1,
            candle_files.REASON_CONFLICT: 1,
            candle_files.REASON_BAD_TIME: 1,
        }
        assert contents.rejected_total == 8

    def test_json_prices_are_parsed_without_float_rounding(self, tmp_path: Path) -> None:
        path = tmp_path / "exact.json"
        path.write_text("[[1606780800000, 0.1, 0.30000000000000004, 0.1, 0.2, 1e-8]]")

        candle = read(path).candles[0]

        assert candle.high == Decimal("0.30000000000000004")
        assert candle.volume == Decimal("1e-8")

    def test_gzipped_json_is_read(self, tmp_path: Path) -> None:
        path = tmp_path / "candles.json.gz"
        path.write_bytes(gzip.compress(b"[[1606780800000, 1, 2, 0.5, 1.5, 3]]"))

        assert len(read(path).candles) == 1

    def test_csv_rows_with_bad_cells_are_rejected_and_blank_lines_skipped(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "candles.csv"
        path.write_text(
            "Date,Open,High,Low,Close,Volume\n"
            "2020-12-01T00:00:00Z,1,2,0.5,1.5,3\n"
            "\n"
            "2020-12-01 00:05:00,1,2,0.5,1.5,nan\n"
            "2020-12-01 00:10:00+00:00,1,0.4,0.5,1.5,3\n"
            "2020-12-01 00:15:00,1,2\n"
            "2020-12-01 00:20:00,1,2,0.5,1.5,-3\n"
        )

        contents = read(path)

        assert [c.open_time_ms for c in contents.candles] == [1_606_780_800_000]
        assert contents.rows_read == 5
        assert contents.rejected == {
            candle_files.REASON_NOT_FINITE: 1,
            candle_files.REASON_HIGH_BELOW_LOW: 1,
            candle_files.REASON_MALFORMED: 1,
            candle_files.REASON_NEGATIVE_VOLUME: 1,
        }

    def test_headerless_klines_in_microseconds_are_read_as_milliseconds(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "klines.csv"
        path.write_text("1735689600000000,1,2,0.5,1.5,3,1735689659999999,0,0,0,0,0\n")

        assert read(path, "1m").candles[0].open_time_ms == 1_735_689_600_000

    def test_parquet_with_nan_and_misaligned_rows(self, tmp_path: Path) -> None:
        table = pa.table(
            {
                "date": pa.array(
                    [1_606_780_800_000, 1_606_781_100_000, 1_606_781_101_000],
                    type=pa.timestamp("ms", tz="UTC"),
                ),
                "open": [1.0, float("nan"), 1.0],
                "high": [2.0, 2.0, 2.0],
                "low": [0.5, 0.5, 0.5],
                "close": [1.5, 1.5, 1.5],
                "volume": [3.0, 3.0, 3.0],
            }
        )
        path = tmp_path / "candles.parquet"
        pq.write_table(table, path)

        contents = read(path)

        assert len(contents.candles) == 1
        assert contents.candles[0].close == Decimal("1.5")
        assert contents.rejected == {
            candle_files.REASON_NOT_FINITE: 1,
            candle_files.REASON_MISALIGNED: 1,
        }

    def test_feather_with_nanosecond_timestamps(self, tmp_path: Path) -> None:
        table = pa.table(
            {
                "date": pa.array([1_606_780_800_000_000_000], type=pa.timestamp("ns", tz="UTC")),
                "open": [1.1],
                "high": [2.2],
                "low": [0.3],
                "close": [1.7],
                "volume": [3.0],
            }
        )
        path = tmp_path / "candles.feather"
        feather.write_feather(table, path)

        candle = read(path).candles[0]

        assert candle.open_time_ms == 1_606_780_800_000
        assert (candle.open, candle.high) == (Decimal("1.1"), Decimal("2.2"))


class TestUnreadableFiles:
    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput, match="no candle file"):
            read(tmp_path / "nope.json")

    def test_unknown_format(self, tmp_path: Path) -> None:
        path = tmp_path / "candles.xlsx"
        path.write_bytes(b"x")
        with pytest.raises(InvalidInput, match="unknown candle file format"):
            read(path)

    def test_csv_header_without_volume_names_the_missing_column(self, tmp_path: Path) -> None:
        path = tmp_path / "candles.csv"
        path.write_text("time,open,high,low,close\n1606780800000,1,2,0.5,1.5\n")
        with pytest.raises(InvalidInput, match="volume"):
            read(path)

    def test_binary_garbage_named_csv(self, tmp_path: Path) -> None:
        path = tmp_path / "candles.csv.gz"
        path.write_bytes(b"\xff\xfe not gzip at all")
        with pytest.raises(InvalidInput, match="cannot read"):
            read(path)

    def test_json_that_is_not_an_array(self, tmp_path: Path) -> None:
        path = tmp_path / "candles.json"
        path.write_text('{"candles": []}')
        with pytest.raises(InvalidInput, match="array"):
            read(path)

    def test_malformed_market(self, tmp_path: Path) -> None:
        path = write_json(tmp_path / "c.json", [GOOD])
        with pytest.raises(InvalidInput, match="timeframe"):
            read_candle_file(path, exchange="binance", symbol="BTC/USDT", timeframe="5 minutes")
