"""Gap repair planning: holes of a stored series, known outages, what a fetch left empty."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.domain.gap_repair import (
    OpenTimeRange,
    plan_repair,
    stored_holes,
    subtract_ranges,
    unfilled_ranges,
)

STEP = 60_000


def _range(first: int, end: int) -> OpenTimeRange:
    return OpenTimeRange(first * STEP, end * STEP)


class TestStoredHoles:
    def test_each_interior_gap_is_the_range_of_its_missing_open_times(self) -> None:
        times = [i * STEP for i in (0, 1, 4, 5, 9)]

        assert stored_holes(times, STEP) == [_range(2, 4), _range(6, 9)]

    def test_a_since_before_the_first_stored_candle_adds_the_lead(self) -> None:
        times = [i * STEP for i in (10, 11, 13)]

        holes = stored_holes(times, STEP, since_ms=3 * STEP - 5)

        assert holes == [_range(3, 10), _range(12, 13)]

    def test_a_since_inside_the_stored_range_adds_nothing(self) -> None:
        assert stored_holes([0, STEP, 2 * STEP], STEP, since_ms=STEP) == []

    def test_an_empty_store_has_no_holes(self) -> None:
        assert stored_holes([], STEP, since_ms=0) == []


class TestPlanRepair:
    def test_known_outages_are_left_out_of_the_fetch_and_reported_apart(self) -> None:
        holes = [_range(2, 4), _range(10, 20)]

        plan = plan_repair(holes, [_range(2, 4), _range(12, 15)])

        assert plan.to_fetch == [_range(10, 12), _range(15, 20)]
        assert plan.known_empty == [_range(2, 4), _range(12, 15)]
        assert plan.missing(STEP) == 12

    def test_without_known_outages_every_hole_is_fetched(self) -> None:
        holes = [_range(2, 4)]

        plan = plan_repair(holes, [])

        assert (plan.to_fetch, plan.known_empty) == (holes, [])


class TestUnfilledRanges:
    def test_what_no_received_candle_fills_is_left(self) -> None:
        received = [i * STEP for i in (0, 11, 12, 15, 30)]  # 0 and 30 lie outside the ask

        assert unfilled_ranges(_range(10, 20), received, STEP) == [
            _range(10, 11),
            _range(13, 15),
            _range(16, 20),
        ]

    def test_a_fully_served_range_leaves_nothing(self) -> None:
        received = [i * STEP for i in range(10, 20)]

        assert unfilled_ranges(_range(10, 20), received, STEP) == []

    def test_rejects_a_non_positive_timeframe(self) -> None:
        with pytest.raises(InvalidInput):
            unfilled_ranges(_range(0, 1), [], 0)


def test_an_empty_range_is_rejected() -> None:
    with pytest.raises(InvalidInput, match="empty open-time range"):
        OpenTimeRange(5, 5)


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 10)), max_size=6))
def test_subtracting_keeps_exactly_the_uncovered_open_times(cuts: list[tuple[int, int]]) -> None:
    known = [OpenTimeRange(start, start + length) for start, length in cuts]

    left = subtract_ranges([OpenTimeRange(0, 61)], known)

    covered = {t for cut in known for t in range(cut.start_ms, cut.end_ms)}
    assert {t for part in left for t in range(part.start_ms, part.end_ms)} == (
        set(range(61)) - covered
    )
    assert all(a.end_ms < b.start_ms for a, b in zip(left, left[1:], strict=False))


@given(st.lists(st.integers(0, 200), min_size=1, unique=True))
def test_holes_and_stored_candles_together_make_the_whole_series(indexes: list[int]) -> None:
    times = sorted(i * STEP for i in indexes)

    holes = stored_holes(times, STEP, since_ms=0)

    missing = {t for hole in holes for t in range(hole.start_ms, hole.end_ms, STEP)}
    assert missing.isdisjoint(times)
    assert missing | set(times) == set(range(0, times[-1] + STEP, STEP))
