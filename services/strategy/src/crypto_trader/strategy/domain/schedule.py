"""When an instance may enter: active hours and days (UTC), start/stop times, trades per day.

The schedule is checked against the CANDLE's time (its close, ``open_time_ms + timeframe``), not
the wall clock: a replay publishes old candles, and a live candle's close is "now" anyway, so the
same candles always give the same signals. The schedule gates ENTRIES only; exits always pass so a
position opened in the window can still be closed outside it; short entries count as entries.
Indicators see every candle.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from crypto_trader.common.errors import InvalidInput

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Schedule:
    """Entry rules of one instance; every field empty means "always".

    ``active_hours`` is ``(start, end)`` in whole UTC hours, start inclusive and end exclusive; it
    wraps past midnight when start > end (``(22, 2)`` = 22:00-02:00). ``active_days`` are weekday
    numbers (0 = Monday). ``start_ms``/``stop_ms`` bound the period (start inclusive, stop
    exclusive). ``max_trades_per_day`` caps entries per UTC day.
    """

    active_hours: tuple[int, int] | None = None
    active_days: frozenset[int] = field(default_factory=frozenset)
    start_ms: int | None = None
    stop_ms: int | None = None
    max_trades_per_day: int | None = None

    def __post_init__(self) -> None:
        if self.active_hours is not None:
            start, end = self.active_hours
            if not (0 <= start <= 23 and 0 <= end <= 24) or start == end:
                raise InvalidInput(f"active_hours must be two hours 0-24, got {self.active_hours}")
        if any(not 0 <= day <= 6 for day in self.active_days):
            raise InvalidInput(f"active_days must be weekdays 0-6, got {sorted(self.active_days)}")
        if None not in (self.start_ms, self.stop_ms) and self.start_ms >= self.stop_ms:  # type: ignore[operator]
            raise InvalidInput("start must be before stop")
        if self.max_trades_per_day is not None and self.max_trades_per_day < 0:
            raise InvalidInput("max_trades_per_day must not be negative")

    def is_active(self, time_ms: int) -> bool:
        """Tell whether entries are allowed at ``time_ms`` (hours, days, start and stop)."""
        if self.start_ms is not None and time_ms < self.start_ms:
            return False
        if self.stop_ms is not None and time_ms >= self.stop_ms:
            return False
        moment = datetime.fromtimestamp(time_ms / 1000, tz=UTC)
        if self.active_days and moment.weekday() not in self.active_days:
            return False
        if self.active_hours is not None:
            start, end = self.active_hours
            hour = moment.hour
            inside = start <= hour < end if start < end else hour >= start or hour < end
            if not inside:
                return False
        return True

    def as_dict(self) -> dict[str, object]:
        """Return the schedule as JSON-ready data."""
        return {
            "active_hours": None if self.active_hours is None else list(self.active_hours),
            "active_days": [DAY_NAMES[d] for d in sorted(self.active_days)],
            "start_ms": self.start_ms,
            "stop_ms": self.stop_ms,
            "max_trades_per_day": self.max_trades_per_day,
        }


def parse_day(raw: str | int) -> int:
    """Return the weekday number of ``"mon"``..``"sun"`` (or of 0..6).

    Raises
    ------
    InvalidInput
        When it is neither.
    """
    if isinstance(raw, int) and 0 <= raw <= 6:
        return raw
    text = str(raw).strip().lower()[:3]
    if text in DAY_NAMES:
        return DAY_NAMES.index(text)
    raise InvalidInput(f"unknown weekday {raw!r}; use mon..sun or 0..6")


@dataclass(frozen=True, slots=True)
class EntryBudget:
    """Entries taken on one UTC day (the day number is ``time_ms // DAY_MS``)."""

    day: int = -1
    entries: int = 0

    def on(self, time_ms: int) -> EntryBudget:
        """Return the budget of the day of ``time_ms`` (a new day starts at zero)."""
        day = time_ms // DAY_MS
        return self if day == self.day else EntryBudget(day, 0)

    def taken(self) -> EntryBudget:
        """Return the budget after one more entry."""
        return replace(self, entries=self.entries + 1)


def allows_entry(schedule: Schedule, budget: EntryBudget, time_ms: int) -> bool:
    """Tell whether an entry at ``time_ms`` fits the schedule and the day's entry budget."""
    if not schedule.is_active(time_ms):
        return False
    limit = schedule.max_trades_per_day
    return limit is None or budget.on(time_ms).entries < limit


class ScheduleState(enum.StrEnum):
    """Whether an instance may enter now, or what keeps it out."""

    ACTIVE = "active"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    OUTSIDE_DAYS = "outside_days"
    OUTSIDE_HOURS = "outside_hours"
    DAILY_LIMIT_REACHED = "daily_limit_reached"


def schedule_state(schedule: Schedule, budget: EntryBudget, time_ms: int) -> ScheduleState:
    """Return whether an entry at ``time_ms`` may pass, or the first rule that refuses it."""
    if schedule.start_ms is not None and time_ms < schedule.start_ms:
        return ScheduleState.NOT_STARTED
    if schedule.stop_ms is not None and time_ms >= schedule.stop_ms:
        return ScheduleState.ENDED
    if not schedule.is_active(time_ms):
        # Start and stop passed, so the weekday or the hour is what keeps it out.
        if not Schedule(active_days=schedule.active_days).is_active(time_ms):
            return ScheduleState.OUTSIDE_DAYS
        return ScheduleState.OUTSIDE_HOURS
    # ``allows_entry`` is the runner's own rule, so the state cannot disagree with it.
    if not allows_entry(schedule, budget, time_ms):
        return ScheduleState.DAILY_LIMIT_REACHED
    return ScheduleState.ACTIVE
