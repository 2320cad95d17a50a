"""Malformed-data report: each problem counted per reason, then rejected or repaired."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.marketdata.domain import quality
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.quality import RawBar, check_bars

KEY = MarketKey("binance", "BTC/USDT", "5m")
STEP = 300_000
T0 = 1_606_780_800_000


def bar(
    slot: int, o: str = "10", h: str = "12", low: str = "9", c: str = "11", v: str = "1"
) -> RawBar:
    return RawBar(T0 + slot * STEP, *(Decimal(x) for x in (o, h, low, c, v)))


class TestCheckBars:
    def test_clean_rows_pass_untouched(self) -> None:
        result = check_bars([bar(0), bar(1), bar(2)], KEY)

        assert result.report.clean
        assert [c.open_time_ms for c in result.candles] == [T0, T0 + STEP, T0 + 2 * STEP]

    def test_counts_each_rejection_reason_and_keeps_only_valid_rows(self) -> None:
        rows = [
            bar(0),
            bar(1, h="8", low="9"),  # high below low
            bar(2, c="NaN"),
            bar(3, v="-1"),
            RawBar(T0 + 4 * STEP + 60_000, *(Decimal(x) for x in ("10", "12", "9", "11", "1"))),
            bar(5, o="13"),  # open above high
            bar(6, c="Infinity"),
            bar(7),
        ]

        result = check_bars(rows, KEY)

        assert result.report.rejected == {
            quality.REASON_HIGH_BELOW_LOW: 1,
            quality.REASON_MISALIGNED: 1,
            quality.REASON_NEGATIVE_VOLUME: 1,
            quality.REASON_NOT_FINITE: 2,
            quality.REASON_OUTSIDE_RANGE: 1,
        }
        assert result.report.rows == 8
        assert [c.open_time_ms for c in result.candles] == [T0, T0 + 7 * STEP]

    def test_sorts_rows_out_of_order_and_drops_exact_duplicates(self) -> None:
        rows = [bar(2), bar(0), bar(1), bar(1), bar(3), bar(0)]

        result = check_bars(rows, KEY)

        assert result.report.repaired == {
            quality.REPAIR_DUPLICATE: 2,
            quality.REPAIR_OUT_OF_ORDER: 4,  # every row older than one read before it
        }
        assert result.report.rejected == {}
        assert [c.open_time_ms for c in result.candles] == [T0 + i * STEP for i in range(4)]

    def test_a_conflicting_duplicate_is_rejected_and_the_first_row_kept(self) -> None:
        rows = [bar(0, c="11"), bar(0, c="10")]

        result = check_bars(rows, KEY)

        assert result.report.rejected == {quality.REASON_CONFLICT: 1}
        assert result.candles[0].close == Decimal("11")

    def test_unreadable_rows_from_a_reader_join_the_report(self) -> None:
        report = check_bars([bar(0)], KEY).report

        merged = report.with_rejected({"unreadable time": 2}, rows=2)

        assert merged.rows == 3
        assert merged.rejected_total == 2
        assert not merged.clean
