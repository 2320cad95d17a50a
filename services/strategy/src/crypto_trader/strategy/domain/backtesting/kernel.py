"""The fast path's compiled kernels: market fills at the next open, and equity-curve statistics.

The fill loop does exactly the float operations of ``Account`` (market orders, fixed-bps slippage,
taker fee, ``Sizing``) in the same order, so its results equal the Python path's bit for bit. It
returns the equity curve and the trades as columns, counts the candles that end with a position
(the position curve follows from the trades when it is read), and measures the curve as it
writes it, so no second pass reads the curve again.

The curve statistics (deepest drawdown, longest underwater run, bar returns, bar spacing) take
the same steps in the fill loop and in ``curve_stats`` (the other paths' whole-curve loop), with
the formulas in shared helpers, so both give the same numbers bit for bit. ``metrics`` computes
them with numpy too: the drawdown and the runs equal it exactly; the return statistics sum in
another order than numpy's pairwise sums, so they agree to rounding (about 1e-13 relative over a
million candles; tested to 1e-9).

Both loops live in this one module because numba's cache checks only the file of the function it
compiled: a kernel calling compiled helpers from another file would keep stale code. The helpers
the per-candle loops call take only numbers: an array passed to a helper costs reference counting
on every call. Without numba ``AVAILABLE`` is False: the engine keeps its Python path and
``metrics`` its numpy code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

try:
    from numba import njit
except ImportError:  # numba is optional: the Python paths do the same work, only slower
    AVAILABLE = False
else:
    AVAILABLE = True

# Sizing modes as small ints for the kernel (``common.sizing`` names them by string).
SIZING_CODES = {"all_in": 0, "fixed_notional": 1, "fraction_of_equity": 2}
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


def _merge(
    seen: int,
    mean: float,
    squares: float,
    downside: float,
    size: int,
    total: float,
    block_squares: float,
    block_downside: float,
) -> tuple[int, float, float, float]:
    # Merge ``size`` more returns (their sum, squared deviations from their mean, squared
    # losses) into the totals by Chan et al.'s pairwise update: as stable as two passes.
    merged = seen + size
    delta = total / size - mean
    mean += delta * size / merged
    squares += block_squares + delta * delta * seen * size / merged
    return merged, mean, squares, downside + block_downside


def _merge_block(
    block: np.ndarray, size: int, seen: int, mean: float, squares: float, downside: float
) -> tuple[int, float, float, float]:
    total, block_squares, block_downside = block_stats(block, size)
    return merge(seen, mean, squares, downside, size, total, block_squares, block_downside)


def _drawdown_step(
    bar: int,
    value: float,
    peak: float,
    lowest: float,
    deepest: float,
    run_start: int,
    longest_start: int,
    longest_end: int,
) -> tuple[float, float, float, int, int, int]:
    # One candle after the first. Under a positive peak a candle is under water exactly when
    # it is below the peak, and its drawdown grows with its value, so one division per peak (at
    # its lowest candle) gives numpy's deepest value, and no drawdown curve is needed. A run
    # under water starts at ``run_start`` (-1: none open); the longest is [start, end).
    if value > peak:
        deepest = min(deepest, lowest / peak - 1.0)
        peak = lowest = value
    lowest = min(lowest, value)
    if value < peak if peak > 0 else value / peak - 1.0 < 0:
        if run_start < 0:
            run_start = bar
    elif run_start >= 0:
        if bar - run_start > longest_end - longest_start:
            longest_start, longest_end = run_start, bar
        run_start = -1
    return peak, lowest, deepest, run_start, longest_start, longest_end


def _curve_result(
    count: int,
    block: np.ndarray,
    filled: int,
    zeros: int,
    totals: tuple[int, float, float, float],
    drawdown: tuple[float, float, float, int, int, int],
    spacing: int,
) -> tuple[float, int, int, float, float, float, int]:
    # The statistics once all ``count`` candles are in: deepest drawdown, the longest
    # underwater run [start, end), mean return, its deviation, downside deviation, and the
    # spacing of the open times (-1 when uneven). ``filled`` returns wait in the block, and
    # the ``zeros`` returns that were exactly zero join the totals last, all at once.
    if count == 0:
        return 0.0, 0, 0, 0.0, 0.0, 0.0, 0
    seen, mean, squares, downside = totals
    if filled > 0:
        seen, mean, squares, downside = merge_block(block, filled, seen, mean, squares, downside)
    if zeros > 0:
        seen, mean, squares, downside = merge(seen, mean, squares, downside, zeros, 0.0, 0.0, 0.0)
    peak, lowest, deepest, run_start, longest_start, longest_end = drawdown
    deepest = min(deepest, lowest / peak - 1.0)
    if run_start >= 0 and count - run_start > longest_end - longest_start:
        longest_start, longest_end = run_start, count
    return (
        deepest,
        longest_start,
        longest_end,
        mean if count > 1 else 0.0,
        math.sqrt(squares / (count - 1)) if count > 1 else 0.0,
        math.sqrt(downside / count) if count > 1 else 0.0,
        spacing,
    )


def _curve_stats(
    equity: np.ndarray, open_time_ms: np.ndarray, initial_cash: float
) -> tuple[float, int, int, float, float, float, int]:
    # The whole curve in one loop; the fill kernel runs the same steps as it writes the curve.
    count = len(equity)
    block = np.empty(min(count, _BLOCK))
    if count == 0:
        return curve_result(0, block, 0, 0, (0, 0.0, 0.0, 0.0), (0.0, 0.0, 0.0, -1, 0, 0), 0)
    spacing = open_time_ms[1] - open_time_ms[0] if count > 1 else 0
    uneven = False
    seen, mean, squares, downside = 0, 0.0, 0.0, 0.0
    previous = initial_cash
    peak = lowest = equity[0]
    deepest = 0.0
    run_start, longest_start, longest_end = -1, 0, 0
    filled = zeros = 0
    for bar in range(count):
        value = equity[bar]
        change = (value - previous) / previous
        if change == 0.0:  # counted only: zeros join the totals at the end, all at once
            zeros += 1
        else:
            block[filled] = change
            filled += 1
            if filled == _BLOCK:
                seen, mean, squares, downside = merge_block(
                    block, filled, seen, mean, squares, downside
                )
                filled = 0
        previous = value
        if bar > 0:
            uneven |= open_time_ms[bar] - open_time_ms[bar - 1] != spacing
            peak, lowest, deepest, run_start, longest_start, longest_end = drawdown_step(
                bar, value, peak, lowest, deepest, run_start, longest_start, longest_end
            )
    return curve_result(
        count,
        block,
        filled,
        zeros,
        (seen, mean, squares, downside),
        (peak, lowest, deepest, run_start, longest_start, longest_end),
        -1 if uneven else spacing,
    )


def _signal_bars(
    enter_long: np.ndarray, exit_long: np.ndarray, enter_short: np.ndarray, exit_short: np.ndarray
) -> np.ndarray:
    # The candles (all but the last) with a signal, in order. Signals are sparse: eight flags
    # at a time are read as one 64-bit word, and only a word with a flag is looked into. There
    # every candle is written at the next free place, which advances only past a signal (no
    # branch to mispredict). The buffer has room for every candle, but only the pages written
    # are ever touched.
    count = len(enter_long)
    bars = np.empty(max(count, 1), np.int64)
    found = 0
    words = max(count - 1, 0) // 8
    if words > 0:
        span = words * 8
        el = enter_long[:span].view(np.uint64)
        xl = exit_long[:span].view(np.uint64)
        es = enter_short[:span].view(np.uint64)
        xs = exit_short[:span].view(np.uint64)
        for word in range(words):
            if el[word] | xl[word] | es[word] | xs[word]:
                for index in range(word * 8, word * 8 + 8):
                    bars[found] = index
                    long_flag = enter_long[index] | exit_long[index]
                    found += long_flag | enter_short[index] | exit_short[index]
    for index in range(words * 8, count - 1):
        bars[found] = index
        found += enter_long[index] | exit_long[index] | enter_short[index] | exit_short[index]
    return bars[:found]


def _fill_market(  # noqa: C901 - one flat loop is what numba compiles best
    open_time_ms: np.ndarray,
    opens: np.ndarray,
    close: np.ndarray,
    enter_long: np.ndarray,
    exit_long: np.ndarray,
    enter_short: np.ndarray,
    exit_short: np.ndarray,
    fee_rate: float,
    slip: float,
    sizing_mode: int,
    sizing_value: float,
    step: float,
    initial_cash: float,
) -> tuple[Any, ...]:
    count = len(close)
    equity = np.empty(count)
    signal_bars = signal_bars_of(enter_long, exit_long, enter_short, exit_short)
    # Each closed trade needs a signal on the candle before its exit: that bounds the trades
    # (growing the arrays inside the loop instead makes numba's loop several times slower).
    capacity = len(signal_bars)
    trade_side = np.empty(capacity, np.int64)
    trade_size = np.empty(capacity)
    trade_entry_bar = np.empty(capacity, np.int64)
    trade_entry_price = np.empty(capacity)
    trade_exit_bar = np.empty(capacity, np.int64)
    trade_exit_price = np.empty(capacity)
    trade_fees = np.empty(capacity)
    trade_pnl = np.empty(capacity)
    trades = 0
    cash = initial_cash
    fees_paid = 0.0
    fills = 0
    held = 0.0  # signed position
    side = 0  # direction of the open position, 0 when flat
    size = entry_price = entry_fee = 0.0
    entry_bar = 0
    held_bars = 0
    # The curve statistics, as ``curve_stats`` computes them, fed as the curve is written.
    block = np.empty(min(count, _BLOCK))
    spacing = open_time_ms[1] - open_time_ms[0] if count > 1 else 0
    uneven = False
    seen, mean, squares, downside = 0, 0.0, 0.0, 0.0
    previous = initial_cash
    peak = lowest = deepest = 0.0
    run_start, longest_start, longest_end = -1, 0, 0
    filled = zeros = 0
    settled = 0  # candles before this one have their equity and statistics
    if count > 0:  # no fill before the second candle: the first is worth the cash
        value = equity[0] = cash + held * close[0]
        change = (value - previous) / previous
        if change == 0.0:
            zeros = 1
        else:
            block[0] = change
            filled = 1
        previous = peak = lowest = value
        settled = 1
    for turn in range(len(signal_bars) + 1):
        # The candles up to the next fill (or the end) share its cash and position.
        index = signal_bars[turn] + 1 if turn < len(signal_bars) else count
        if held != 0.0:
            held_bars += index - settled
        # Without a position the equity usually stays at the cash (checked as it is written):
        # after the first candle such a stretch moves neither the peak nor the run, and each
        # of its returns is exactly zero, so only the spacing is left to check.
        flat_from = index
        if held == 0.0 and cash - cash == 0.0 and cash != 0.0 and index - settled > 1:
            same = True
            for bar in range(settled, index):
                value = equity[bar] = cash + held * close[bar]
                same &= value == cash
                uneven |= open_time_ms[bar] - open_time_ms[bar - 1] != spacing
            if same:
                flat_from = settled + 1
                zeros += index - flat_from
        for bar in range(settled, flat_from):
            value = equity[bar] = cash + held * close[bar]
            change = (value - previous) / previous
            if change == 0.0:
                zeros += 1
            else:
                block[filled] = change
                filled += 1
                if filled == _BLOCK:
                    seen, mean, squares, downside = merge_block(
                        block, filled, seen, mean, squares, downside
                    )
                    filled = 0
            previous = value
            uneven |= open_time_ms[bar] - open_time_ms[bar - 1] != spacing
            peak, lowest, deepest, run_start, longest_start, longest_end = drawdown_step(
                bar, value, peak, lowest, deepest, run_start, longest_start, longest_end
            )
        settled = index
        if turn == len(signal_bars):
            break
        at = index - 1
        el, xl = enter_long[at], exit_long[at]
        es, xs = enter_short[at], exit_short[at]
        o = opens[index]
        shut = (held > 0 and (xl or es)) or (held < 0 and (xs or el))
        flat_after = held == 0 or shut
        want = 0
        if flat_after and el and not xl and not es:
            want = 1
        elif flat_after and es and not xs and not el:
            want = -1
        if shut and side != 0:
            price = o * (1.0 + slip) if -side > 0 else o * (1.0 - slip)
            fee = size * price * fee_rate
            cash += side * size * price - fee
            fees_paid += fee
            fills += 1
            trade_side[trades] = side
            trade_size[trades] = size
            trade_entry_bar[trades] = entry_bar
            trade_entry_price[trades] = entry_price
            trade_exit_bar[trades] = index
            trade_exit_price[trades] = price
            trade_fees[trades] = entry_fee + fee
            trade_pnl[trades] = side * size * (price - entry_price) - entry_fee - fee
            trades += 1
            side = 0
            held = 0.0
        if want != 0 and side == 0:
            price = o * (1.0 + slip) if want > 0 else o * (1.0 - slip)
            if sizing_mode == 0:
                budget = cash
            elif sizing_mode == 1:
                budget = min(sizing_value * (1.0 + fee_rate), cash)
            else:
                budget = min(sizing_value * cash, cash)
            quantity = 0.0
            if budget > 0 and price > 0:
                quantity = budget / (price * (1.0 + fee_rate))
                if step > 0:
                    quantity = math.floor(quantity / step) * step
            if quantity > 0:
                fee = quantity * price * fee_rate
                cash -= want * quantity * price + fee
                fees_paid += fee
                fills += 1
                side = want
                size = quantity
                entry_price = price
                entry_fee = fee
                entry_bar = index
                held = side * size
    curve = curve_result(
        count,
        block,
        filled,
        zeros,
        (seen, mean, squares, downside),
        (peak, lowest, deepest, run_start, longest_start, longest_end),
        -1 if uneven else spacing,
    )
    return (
        equity,
        trade_side[:trades],
        trade_size[:trades],
        trade_entry_bar[:trades],
        trade_entry_price[:trades],
        trade_exit_bar[:trades],
        trade_exit_price[:trades],
        trade_fees[:trades],
        trade_pnl[:trades],
        cash,
        fees_paid,
        fills,
        side,
        size,
        entry_bar,
        entry_price,
        entry_fee,
        held_bars,
        curve,
    )


_Function = TypeVar("_Function", bound=Callable[..., Any])


def _compiled(function: _Function, **options: Any) -> _Function:
    # numpy's error model: a curve that reaches zero equity gives inf/nan returns, as the numpy
    # reference does, instead of raising ZeroDivisionError.
    if not AVAILABLE:
        return function
    return cast(_Function, njit(cache=True, error_model="numpy", **options)(function))


block_stats = _compiled(_block_stats, fastmath={"reassoc"})
merge = _compiled(_merge)
merge_block = _compiled(_merge_block)
drawdown_step = _compiled(_drawdown_step)
curve_result = _compiled(_curve_result)
curve_stats = _compiled(_curve_stats)
signal_bars_of = _compiled(_signal_bars)
fill_market = _compiled(_fill_market)
