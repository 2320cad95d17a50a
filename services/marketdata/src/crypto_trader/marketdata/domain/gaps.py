"""Gap detection: which expected candle open times a series is missing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crypto_trader.common.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Gap:
    """A run of missing candles between two present ones (both open times present)."""

    previous_open_ms: int
    next_open_ms: int
    timeframe_ms: int

    @property
    def first_missing_ms(self) -> int:
        """Return the open time of the first missing candle."""
        return self.previous_open_ms + self.timeframe_ms

    @property
    def missing(self) -> int:
        """Return how many candles are missing."""
        return (self.next_open_ms - self.previous_open_ms) // self.timeframe_ms - 1

    @property
    def duration_ms(self) -> int:
        """Return the length of time without candles."""
        return self.next_open_ms - self.first_missing_ms


def expected_open_times(start_ms: int, end_ms: int, timeframe_ms: int) -> range:
    """Return every open time a complete series has in [start_ms, end_ms) from an aligned start."""
    if timeframe_ms <= 0:
        raise InvalidInput(f"timeframe length must be positive, got {timeframe_ms}")
    first = -(-start_ms // timeframe_ms) * timeframe_ms
    return range(first, end_ms, timeframe_ms)


def find_gaps(open_times: Iterable[int], timeframe_ms: int) -> list[Gap]:
    """List the runs of missing candles between the first and last open time, oldest first.

    The open times must be sorted and distinct (see ``domain.quality``).

    Raises
    ------
    InvalidInput
        When the open times are not strictly increasing or the timeframe is not positive.
    """
    if timeframe_ms <= 0:
        raise InvalidInput(f"timeframe length must be positive, got {timeframe_ms}")
    gaps: list[Gap] = []
    previous: int | None = None
    for open_time in open_times:
        if previous is not None:
            step = open_time - previous
            if step <= 0:
                raise InvalidInput(f"open times not strictly increasing at {open_time}")
            if step > timeframe_ms:
                gaps.append(Gap(previous, open_time, timeframe_ms))
        previous = open_time
    return gaps


def missing_count(gaps: Iterable[Gap]) -> int:
    """Return the number of candles missing over all gaps."""
    return sum(gap.missing for gap in gaps)
