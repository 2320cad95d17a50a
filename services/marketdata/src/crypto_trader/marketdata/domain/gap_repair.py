"""Gap repair planning: which open-time ranges to ask an exchange for, and what it lacked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.domain.gaps import find_gaps
from crypto_trader.marketdata.domain.market import floor_open_time


@dataclass(frozen=True, slots=True, order=True)
class OpenTimeRange:
    """The candle open times in [start_ms, end_ms) of one market."""

    start_ms: int
    end_ms: int

    def __post_init__(self) -> None:
        if self.end_ms <= self.start_ms:
            raise InvalidInput(f"empty open-time range [{self.start_ms}, {self.end_ms})")

    def candles(self, timeframe_ms: int) -> int:
        """Return how many candle open times of the timeframe the range holds."""
        return -(-(self.end_ms - self.start_ms) // timeframe_ms)


def stored_holes(
    open_times: Sequence[int], timeframe_ms: int, *, since_ms: int | None = None
) -> list[OpenTimeRange]:
    """Return the ranges missing from a stored series, oldest first.

    These are the gaps between stored candles and, when ``since_ms`` comes before the first
    stored candle, the lead from ``since_ms`` (aligned up to a candle open) to it. The open times
    must be sorted and distinct.

    Raises
    ------
    InvalidInput
        When the open times are not strictly increasing or the timeframe is not positive.
    """
    holes = [
        OpenTimeRange(gap.first_missing_ms, gap.next_open_ms)
        for gap in find_gaps(open_times, timeframe_ms)
    ]
    if since_ms is not None and open_times:
        first_wanted = floor_open_time(since_ms + timeframe_ms - 1, timeframe_ms)
        if first_wanted < open_times[0]:
            holes.insert(0, OpenTimeRange(first_wanted, open_times[0]))
    return holes


def subtract_ranges(
    ranges: Iterable[OpenTimeRange], known: Iterable[OpenTimeRange]
) -> list[OpenTimeRange]:
    """Return the parts of ``ranges`` that no range of ``known`` covers, oldest first."""
    covered = sorted(known)
    result: list[OpenTimeRange] = []
    for wanted in sorted(ranges):
        start = wanted.start_ms
        for cut in covered:
            if cut.end_ms <= start or cut.start_ms >= wanted.end_ms:
                continue
            if cut.start_ms > start:
                result.append(OpenTimeRange(start, cut.start_ms))
            start = max(start, cut.end_ms)
            if start >= wanted.end_ms:
                break
        if start < wanted.end_ms:
            result.append(OpenTimeRange(start, wanted.end_ms))
    return result


@dataclass(frozen=True, slots=True)
class RepairPlan:
    """What a repair asks the exchange for, and what it skips as known to be empty there."""

    holes: list[OpenTimeRange]
    to_fetch: list[OpenTimeRange]
    known_empty: list[OpenTimeRange]

    def missing(self, timeframe_ms: int) -> int:
        """Return how many candles the holes lack."""
        return sum(hole.candles(timeframe_ms) for hole in self.holes)


def plan_repair(holes: Sequence[OpenTimeRange], known_empty: Iterable[OpenTimeRange]) -> RepairPlan:
    """Plan to fetch the holes, less the ranges the exchange is known to have no candles in."""
    to_fetch = subtract_ranges(holes, known_empty)
    return RepairPlan(list(holes), to_fetch, subtract_ranges(holes, to_fetch))


def unfilled_ranges(
    asked: OpenTimeRange, received_open_times: Iterable[int], timeframe_ms: int
) -> list[OpenTimeRange]:
    """Return the parts of an asked range that no received candle filled, oldest first.

    Received open times outside the asked range are ignored.
    """
    if timeframe_ms <= 0:
        raise InvalidInput(f"timeframe length must be positive, got {timeframe_ms}")
    filled = {t for t in received_open_times if asked.start_ms <= t < asked.end_ms}
    return subtract_ranges([asked], (OpenTimeRange(t, t + timeframe_ms) for t in filled))
