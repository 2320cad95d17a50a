"""Incremental building blocks: snapshot-able state, windowed sums, moving averages, extremes.

Every streaming indicator and helper keeps its whole state in ``__slots__`` holding floats, ints,
deques or nested helpers, so one generic routine turns it into a plain dict (``state``), back
(``load``) and into an independent copy (``clone``, used by ``peek``). The arithmetic follows
TA-Lib's C code step by step (add the new value, read the output, then drop the trailing value)
so a stream reproduces the batch values to rounding.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

NAN = math.nan


_SLOTS: dict[type, tuple[str, ...]] = {}


def _slots_of(cls: type) -> tuple[str, ...]:
    names = _SLOTS.get(cls)
    if names is None:
        found: list[str] = []
        for klass in reversed(cls.__mro__):
            slots = klass.__dict__.get("__slots__", ())
            found.extend([slots] if isinstance(slots, str) else slots)
        names = _SLOTS[cls] = tuple(found)
    return names


def _plain(value: Any) -> Any:
    # NaN becomes None so a snapshot is strict JSON (PostgreSQL's json type refuses NaN).
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, list | tuple | deque):
        return [_plain(item) for item in value]
    return value


def _numeric(value: Any) -> Any:
    if value is None:
        return NAN
    if isinstance(value, list):
        return [_numeric(item) for item in value]
    return value


class Stateful:
    """Keep state in slots so it can be dumped to, and loaded from, a plain dict."""

    __slots__ = ()

    def state(self) -> dict[str, Any]:
        """Return the state as a plain dict of numbers, lists and nested dicts."""
        out: dict[str, Any] = {}
        for name in _slots_of(type(self)):
            value = getattr(self, name)
            if isinstance(value, Stateful):
                out[name] = value.state()
            else:
                out[name] = _plain(value)
        return out

    def load(self, state: dict[str, Any]) -> None:
        """Overwrite the state with one produced by ``state`` on an object of the same shape."""
        for name in _slots_of(type(self)):
            current = getattr(self, name)
            value = state[name]
            if isinstance(current, Stateful):
                current.load(value)
            elif isinstance(current, deque):
                current.clear()
                current.extend(_numeric(value))
            else:
                setattr(self, name, _numeric(value))

    def clone(self) -> Any:
        """Return an independent copy at the same point of the feed."""
        twin = object.__new__(type(self))
        for name in _slots_of(type(self)):
            value = getattr(self, name)
            if isinstance(value, Stateful):
                value = value.clone()
            elif isinstance(value, deque):
                value = deque(value, maxlen=value.maxlen)
            setattr(twin, name, value)
        return twin


class Sma(Stateful):
    """Simple moving average with TA-Lib's running sum (NaN until ``period`` values)."""

    __slots__ = ("period", "total", "window")

    def __init__(self, period: int) -> None:
        self.period = period
        self.total = 0.0
        self.window: deque[float] = deque()

    def push(self, x: float) -> float:
        """Add one value and return the average of the last ``period`` values."""
        self.total += x
        window = self.window
        window.append(x)
        if len(window) < self.period:
            return NAN
        out = self.total / self.period
        self.total -= window.popleft()
        return out


class Ema(Stateful):
    """Exponential moving average seeded, as TA-Lib does, with the SMA of its first values."""

    __slots__ = ("period", "k", "count", "value")

    def __init__(self, period: int) -> None:
        self.period = period
        self.k = 2.0 / (period + 1)
        self.count = 0
        self.value = 0.0

    def push(self, x: float) -> float:
        """Add one value and return the average (NaN during the first ``period - 1`` values)."""
        if self.count >= self.period:
            self.value = (x - self.value) * self.k + self.value
            return self.value
        self.count += 1
        self.value += x
        if self.count < self.period:
            return NAN
        self.value /= self.period
        return self.value


class Wilder(Stateful):
    """Wilder's smoothing (avg = (avg*(n-1) + x)/n) seeded with the mean of the first n values."""

    __slots__ = ("period", "count", "value")

    def __init__(self, period: int) -> None:
        self.period = period
        self.count = 0
        self.value = 0.0

    def push(self, x: float) -> float:
        """Add one value and return the smoothed average (NaN until ``period`` values)."""
        if self.count >= self.period:
            self.value = (self.value * (self.period - 1) + x) / self.period
            return self.value
        self.count += 1
        self.value += x
        if self.count < self.period:
            return NAN
        self.value /= self.period
        return self.value


class RollingMax(Stateful):
    """Maximum of the last ``period`` values in amortised O(1) (monotonic deque)."""

    __slots__ = ("period", "count", "indexes", "values")

    def __init__(self, period: int) -> None:
        self.period = period
        self.count = 0
        self.indexes: deque[int] = deque()
        self.values: deque[float] = deque()

    def push(self, x: float) -> float:
        """Add one value and return the maximum of the window ending at it."""
        values, indexes = self.values, self.indexes
        while values and values[-1] <= x:
            values.pop()
            indexes.pop()
        values.append(x)
        indexes.append(self.count)
        self.count += 1
        if indexes[0] <= self.count - 1 - self.period:
            indexes.popleft()
            values.popleft()
        return values[0]


class RollingMin(Stateful):
    """Minimum of the last ``period`` values in amortised O(1) (monotonic deque)."""

    __slots__ = ("period", "count", "indexes", "values")

    def __init__(self, period: int) -> None:
        self.period = period
        self.count = 0
        self.indexes: deque[int] = deque()
        self.values: deque[float] = deque()

    def push(self, x: float) -> float:
        """Add one value and return the minimum of the window ending at it."""
        values, indexes = self.values, self.indexes
        while values and values[-1] >= x:
            values.pop()
            indexes.pop()
        values.append(x)
        indexes.append(self.count)
        self.count += 1
        if indexes[0] <= self.count - 1 - self.period:
            indexes.popleft()
            values.popleft()
        return values[0]


def true_range(high: float, low: float, previous_close: float) -> float:
    """Return max(high - low, |high - previous close|, |low - previous close|)."""
    out = high - low
    up = abs(high - previous_close)
    if up > out:
        out = up
    down = abs(low - previous_close)
    if down > out:
        out = down
    return out


def is_zero(x: float) -> bool:
    """Apply TA-Lib's TA_IS_ZERO test (|x| < 1e-8)."""
    return -0.00000001 < x < 0.00000001
