"""Compiled cross detection for the moving-average strategies: one pass, no temporary arrays.

The SMA kernel keeps the running sum of the closes and takes each average as a difference of two
running sums, the float operations of ``SmaCross``'s numpy code and of its event path, so the
signals are the same bit for bit (it skips the division where that cannot change the comparison).
Without numba ``AVAILABLE`` is False and the strategies keep their numpy code.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    from numba import njit
except ImportError:  # numba is optional: the numpy code gives the same signals, only slower
    AVAILABLE = False
else:
    AVAILABLE = True


def _crosses(fast: np.ndarray, slow: np.ndarray, first: int) -> tuple[Any, Any]:
    # Up where the fast average goes from at or below the slow one to above it, down the reverse;
    # the relation exists from ``first - 1`` (NaN compares as neither above nor below).
    count = len(fast)
    up = np.zeros(count, np.bool_)
    down = np.zeros(count, np.bool_)
    previous = 0
    for index in range(max(first - 1, 0), count):
        now = (fast[index] > slow[index]) - (fast[index] < slow[index])
        if index >= first:
            up[index] = previous <= 0 < now
            down[index] = previous >= 0 > now
        previous = now
    return up, down


# Relative gap of the cross-multiplied sums beyond which their rounding (a few units in the
# last place) cannot change the order of the rounded averages.
_TIE = 1e-12


def _sma_crosses(close: np.ndarray, fast: int, slow: int) -> tuple[Any, Any]:
    count = len(close)
    up = np.zeros(count, np.bool_)
    down = np.zeros(count, np.bool_)
    # The last slow + 1 running sums (sum of the first k closes at k & mask), in a ring whose
    # size is a power of two: masking is cheaper than a modulo, and the ring stays in cache.
    size = 2
    while size <= slow:
        size *= 2
    mask = size - 1
    running = np.zeros(size)
    total = 0.0
    previous = 0
    for index in range(count):
        total += close[index]
        running[(index + 1) & mask] = total
        if index >= slow - 1:
            fast_sum = total - running[(index + 1 - fast) & mask]
            slow_sum = total - running[(index + 1 - slow) & mask]
            # fast_sum / fast against slow_sum / slow without dividing: the cross-multiplied
            # sums decide whenever they differ by far more than their rounding (rounding to
            # nearest keeps the order of quotients that far apart); near a tie (and for NaN or
            # infinities) the averages are divided as the event path does.
            gap = fast_sum * slow - slow_sum * fast
            margin = _TIE * (abs(fast_sum * slow) + abs(slow_sum * fast))
            if gap > margin:
                now = 1
            elif gap < -margin:
                now = -1
            else:
                fast_average = fast_sum / fast
                slow_average = slow_sum / slow
                now = (fast_average > slow_average) - (fast_average < slow_average)
            if now != previous and index >= slow:
                # The arrays start False: only a change of sign can be a cross.
                up[index] = previous <= 0 < now
                down[index] = previous >= 0 > now
            previous = now
    return up, down


def _ema(close: np.ndarray, period: int) -> np.ndarray:
    # The recurrence of ``EmaCross``, seeded with the first close.
    alpha = 2.0 / (period + 1)
    beta = 1.0 - alpha
    out = np.empty(len(close))
    if len(close):
        average = close[0]
        out[0] = average
        for index in range(1, len(close)):
            average = alpha * close[index] + beta * average
            out[index] = average
    return out


crosses = njit(cache=True)(_crosses) if AVAILABLE else _crosses
sma_crosses = njit(cache=True)(_sma_crosses) if AVAILABLE else _sma_crosses
ema = njit(cache=True)(_ema) if AVAILABLE else _ema
