"""SMA cross on closing prices: an event-driven instance and a batch form with identical signals.

The averages are compared without dividing (``fast_sum * slow`` against ``slow_sum * fast``) under a
context that traps rounding, so every decision is exact for any decimal prices.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Iterable, Sequence
from decimal import Context, Decimal, Inexact, InvalidOperation, Overflow

from crypto_trader.common.errors import InvalidInput

# 100 significant digits hold any sum of real prices; Inexact is trapped so a rounding can never
# silently change a crossing.
_EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, Overflow])


class SignalAction(enum.StrEnum):
    """What a signal asks for."""

    ENTER_LONG = "enter_long"
    EXIT_LONG = "exit_long"


def validate_periods(fast: int, slow: int) -> None:
    """Check the two SMA periods.

    Raises
    ------
    InvalidInput
        When a period is below 1 or ``fast`` is not shorter than ``slow``.
    """
    if fast < 1 or slow < 1:
        raise InvalidInput(f"SMA periods must be at least 1, got fast={fast} slow={slow}")
    if fast >= slow:
        raise InvalidInput(f"fast period must be shorter than slow, got fast={fast} slow={slow}")


def _relation(fast_sum: Decimal, fast: int, slow_sum: Decimal, slow: int) -> int:
    # sign(fast_sum / fast - slow_sum / slow), computed without division.
    difference = _EXACT.subtract(_EXACT.multiply(fast_sum, slow), _EXACT.multiply(slow_sum, fast))
    return (difference > 0) - (difference < 0)


def _action(previous: int, current: int) -> SignalAction | None:
    if previous <= 0 < current:
        return SignalAction.ENTER_LONG
    if previous >= 0 > current:
        return SignalAction.EXIT_LONG
    return None


class SmaCross:
    """Feed closes one candle at a time; get a signal when the fast SMA crosses the slow one."""

    def __init__(self, fast: int, slow: int) -> None:
        validate_periods(fast, slow)
        self.fast = fast
        self.slow = slow
        self._window: deque[Decimal] = deque(maxlen=slow)
        self._fast_sum = Decimal(0)
        self._slow_sum = Decimal(0)
        self._previous: int | None = None

    @property
    def ready(self) -> bool:
        """Tell whether both averages exist, so the next candle can produce a signal."""
        return self._previous is not None

    def update(self, close: Decimal) -> SignalAction | None:
        """Add the close of the next closed candle and return the signal it triggers, if any."""
        window = self._window
        if len(window) == self.slow:
            self._slow_sum = _EXACT.subtract(self._slow_sum, window[0])
        if len(window) >= self.fast:
            self._fast_sum = _EXACT.subtract(self._fast_sum, window[-self.fast])
        window.append(close)
        self._slow_sum = _EXACT.add(self._slow_sum, close)
        self._fast_sum = _EXACT.add(self._fast_sum, close)
        if len(window) < self.slow:
            return None
        current = _relation(self._fast_sum, self.fast, self._slow_sum, self.slow)
        previous, self._previous = self._previous, current
        return None if previous is None else _action(previous, current)

    def warm_up(self, closes: Iterable[Decimal]) -> None:
        """Replay earlier closes to rebuild the state, discarding the signals they gave."""
        for close in closes:
            self.update(close)


def sma_cross_signals(closes: Sequence[Decimal], fast: int, slow: int) -> list[tuple[int, str]]:
    """Return ``(candle index, "enter_long" | "exit_long")`` for every cross over the closes."""
    validate_periods(fast, slow)
    prefix = [Decimal(0)]
    for close in closes:
        prefix.append(_EXACT.add(prefix[-1], close))
    signals: list[tuple[int, str]] = []
    previous: int | None = None
    for index in range(slow - 1, len(closes)):
        fast_sum = _EXACT.subtract(prefix[index + 1], prefix[index + 1 - fast])
        slow_sum = _EXACT.subtract(prefix[index + 1], prefix[index + 1 - slow])
        current = _relation(fast_sum, fast, slow_sum, slow)
        if previous is not None:
            action = _action(previous, current)
            if action is not None:
                signals.append((index, action.value))
        previous = current
    return signals
