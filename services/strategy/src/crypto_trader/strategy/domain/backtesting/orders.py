"""Orders that rest between candles: entry orders, protective brackets and open holdings."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the account imports this module
    from crypto_trader.strategy.domain.backtesting.account import OpenPosition


@dataclass(slots=True)
class Holding:
    """An open position with its protective orders (absolute prices; NaN: none)."""

    entry: OpenPosition
    direction: int
    stop: float
    target: float
    trail: float
    extreme: float
    armed: bool


@dataclass(slots=True)
class RestingEntry:
    """An entry order waiting for its price: limit, stop, stop-limit or trailing stop."""

    direction: int
    kind: str
    price: float
    limit: float
    trail: float
    hints: tuple[float, float, float]


def entry_price(
    entry: RestingEntry, o: float, adverse: float, favourable: float
) -> tuple[float, bool]:
    """Return a resting entry's fill price in one candle (NaN: none) and whether it is a taker."""
    d = entry.direction
    if entry.kind == "limit":
        if d * (o - entry.price) <= 0:
            return o, False
        if d * (favourable - entry.price) <= 0:
            return entry.price, False
        return math.nan, False
    trigger = math.nan
    if d * (o - entry.price) >= 0:
        trigger = o
    elif d * (adverse - entry.price) >= 0:
        trigger = entry.price
    if entry.kind == "stop_limit" and d * (trigger - entry.limit) > 0:
        return math.nan, True
    return trigger, True


@dataclass(frozen=True, slots=True)
class Bracket:
    """Protective prices for one entry: stop-loss, take-profit (absolute), trail (fraction)."""

    stop_loss: float = math.nan
    take_profit: float = math.nan
    trailing: float = math.nan


NO_BRACKET = Bracket()
