"""A strategy signal as risk sees it: what to do, on which market, at which reference price."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal


class SignalAction(enum.StrEnum):
    """What a signal asks for."""

    ENTER_LONG = "enter_long"
    EXIT_LONG = "exit_long"
    ENTER_SHORT = "enter_short"
    EXIT_SHORT = "exit_short"


@dataclass(frozen=True, slots=True)
class TradeSignal:
    """A signal to size and check."""

    signal_id: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    action: SignalAction
    reference_price: Decimal
    candle_open_time_ms: int
