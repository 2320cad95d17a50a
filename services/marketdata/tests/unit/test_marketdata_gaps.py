"""Gap detection: missing open times between present candles, on crafted and real Binance data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.adapters.candle_files import read_candle_file
from crypto_trader.marketdata.domain.gaps import expected_open_times, find_gaps, missing_count

STEP = 300_000
NFI_BTC_5M = Path("nostalgiaforinfinity/binance/BTC_USDT-5m.json")


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


class TestFindGaps:
    def test_a_complete_series_has_no_gap(self) -> None:
        assert find_gaps(range(0, 10 * STEP, STEP), STEP) == []

    def test_reports_each_run_of_missing_candles_between_present_ones(self) -> None:
        times = [0, STEP, 4 * STEP, 5 * STEP, 7 * STEP]

        gaps = find_gaps(times, STEP)

        assert [(g.previous_open_ms, g.next_open_ms, g.missing) for g in gaps] == [
            (STEP, 4 * STEP, 2),
            (5 * STEP, 7 * STEP, 1),
        ]
        assert gaps[0].first_missing_ms == 2 * STEP
        assert missing_count(gaps) == 3

    def test_refuses_unsorted_or_duplicate_times(self) -> None:
        with pytest.raises(InvalidInput):
            find_gaps([0, STEP, STEP], STEP)

    @given(st.sets(st.integers(0, 500), min_size=1))
    def test_present_plus_missing_equals_the_expected_series(self, slots: set[int]) -> None:
        times = sorted(slot * STEP for slot in slots)

        gaps = find_gaps(times, STEP)

        expected = expected_open_times(times[0], times[-1] + STEP, STEP)
        assert len(times) + missing_count(gaps) == len(expected)


class TestRealBinanceOutages:
    def test_finds_the_six_outages_of_the_binance_btc_5m_file(self, shared_data_dir: Path) -> None:
        contents = read_candle_file(
            shared_data_dir / NFI_BTC_5M, exchange="binance", symbol="BTC/USDT", timeframe="5m"
        )

        gaps = find_gaps((c.open_time_ms for c in contents.candles), STEP)

        assert len(gaps) == 6
        longest = max(gaps, key=lambda gap: gap.missing)
        assert longest.previous_open_ms == _ms("2021-04-25T04:00")
        assert longest.next_open_ms == _ms("2021-04-25T08:45")
        assert longest.missing == 56
        assert len(contents.candles) + missing_count(gaps) == len(
            expected_open_times(
                contents.candles[0].open_time_ms, contents.candles[-1].close_time_ms, STEP
            )
        )
