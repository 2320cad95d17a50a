"""Compiled statistics of an equity curve: deepest drawdown, underwater runs, bar returns.

``metrics`` computes the same numbers with numpy (the reference when numba is missing). The
drawdown and the run lengths are the same bit for bit; the return statistics sum in another
order than numpy's pairwise sums, so they agree to rounding (about 1e-13 relative over a
million candles; tested to 1e-9). Nothing of the curve's length is allocated.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    from numba import njit
except ImportError:  # numba is optional: metrics then uses its numpy code
    AVAILABLE = False
else:
    AVAILABLE = True


_BLOCK = 4096  # returns per block: the block's scratch array stays in the L1/L2 cache


def _block_stats(block: np.ndarray, size: int) -> tuple[float, float, float]:
    # The block's sum, sum of squared deviations from its mean, and sum of squared losses.
    # Reassociation lets the compiler split these sums over SIMD lanes: a rounding away from
    # numpy's pairwise sums.
    total = downside = 0.0
    for offset in range(size):
        change = block[offset]
        total += change
        below = min(change, 0.0)
        downside += below * below
    mean = total / size
    squares = 0.0
    for offset in range(size):
        deviation = block[offset] - mean
        squares += deviation * deviation
    return total, squares, downside


def _curve_stats(  # noqa: C901 - one flat loop is what numba compiles best
    equity: np.ndarray, open_time_ms: np.ndarray, initial_cash: float
) -> tuple[Any, ...]:
    count = len(equity)
    if count == 0:
        return 0.0, 0, 0, 0.0, 0.0, 0.0, 0
    # Drawdown: under a positive peak a bar is under water exactly when it is below the peak,
    # and its drawdown grows with its value, so one division per peak (at its lowest bar) gives
    # numpy's deepest value, and no drawdown curve is needed.
    peak = lowest = equity[0]
    deepest = 0.0
    run_start = -1
    longest_start = longest_end = 0
    # Returns: each is computed once into a small reused block; the block's mean and squared
    # deviations are merged into the totals (Chan et al.'s pairwise update), as stable as two
    # passes without a second division per bar or an array of the curve's length.
    block = np.empty(min(count, _BLOCK))
    spacing = open_time_ms[1] - open_time_ms[0] if count > 1 else 0
    uneven = 0
    seen = 0
    mean = squares = downside = 0.0
    previous = initial_cash
    for start in range(0, count, _BLOCK):
        size = min(_BLOCK, count - start)
        for offset in range(size):
            index = start + offset
            value = equity[index]
            block[offset] = (value - previous) / previous
            previous = value
            if index == 0:
                continue
            if value > peak:
                deepest = min(deepest, lowest / peak - 1.0)
                peak = lowest = value
            lowest = min(lowest, value)
            if value < peak if peak > 0 else value / peak - 1.0 < 0:
                if run_start < 0:
                    run_start = index
            elif run_start >= 0:
                if index - run_start > longest_end - longest_start:
                    longest_start, longest_end = run_start, index
                run_start = -1
        for index in range(max(start, 1), start + size):
            uneven |= open_time_ms[index] - open_time_ms[index - 1] != spacing
        total, block_squares, block_downside = block_stats(block, size)
        merged = seen + size
        delta = total / size - mean
        mean += delta * size / merged
        squares += block_squares + delta * delta * seen * size / merged
        downside += block_downside
        seen = merged
    deepest = min(deepest, lowest / peak - 1.0)
    if run_start >= 0 and count - run_start > longest_end - longest_start:
        longest_start, longest_end = run_start, count
    deviation = math.sqrt(squares / (count - 1)) if count > 1 else 0.0
    return (
        deepest,
        longest_start,
        longest_end,
        mean if count > 1 else 0.0,
        deviation,
        math.sqrt(downside / count) if count > 1 else 0.0,
        -1 if uneven else spacing,
    )


block_stats = njit(cache=True, fastmath={"reassoc"})(_block_stats) if AVAILABLE else _block_stats
curve_stats = njit(cache=True)(_curve_stats) if AVAILABLE else _curve_stats
