"""Time as a dependency: a live clock in services, a fake one in tests."""

import time
from typing import Protocol


class Clock(Protocol):
    """Tell the current time in milliseconds since the epoch, UTC."""

    def now_ms(self) -> int:
        """Return the current time in milliseconds."""
        ...


class LiveClock:
    """Read the system clock."""

    def now_ms(self) -> int:
        """Return the current time in milliseconds."""
        return time.time_ns() // 1_000_000


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start_ms: int = 0) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        """Return the fake current time."""
        return self._now_ms

    def advance(self, milliseconds: int) -> None:
        """Move the clock forward."""
        self._now_ms += milliseconds
