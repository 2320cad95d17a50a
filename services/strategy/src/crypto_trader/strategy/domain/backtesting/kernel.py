"""The fast path's compiled kernel: market fills at the next open, cash, trades and equity.

It does exactly the float operations of ``Account`` (market orders, fixed-bps slippage, taker fee,
``Sizing``) in the same order, so its results equal the Python path's bit for bit. It returns the
equity curve and the trades as columns, and counts the candles that end with a position; the
position curve follows from the trades when it is read. Without numba ``AVAILABLE`` is False and
the engine keeps the Python path.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    from numba import njit
except ImportError:  # numba is optional: the Python path does the same work, only slower
    AVAILABLE = False
else:
    AVAILABLE = True

# Sizing modes as small ints for the kernel (``common.sizing`` names them by string).
SIZING_CODES = {"all_in": 0, "fixed_notional": 1, "fraction_of_equity": 2}


def _fill_market(  # noqa: C901 - one flat loop is what numba compiles best
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
    # Each closed trade needs a signal on the candle before its exit: that bounds the trades
    # (growing the arrays inside the loop instead makes numba's loop several times slower).
    capacity = 0
    for index in range(count - 1):
        capacity += enter_long[index] | exit_long[index] | enter_short[index] | exit_short[index]
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
    for index in range(count):
        if index > 0:
            at = index - 1
            el, xl = enter_long[at], exit_long[at]
            es, xs = enter_short[at], exit_short[at]
            if el or xl or es or xs:
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
        if held != 0.0:
            held_bars += 1
        equity[index] = cash + held * close[index]
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
    )


fill_market = njit(cache=True)(_fill_market) if AVAILABLE else _fill_market
