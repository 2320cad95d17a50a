"""A strategy signal as risk sees it: what to do, on which market, at which reference price."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.protective_exit import NO_HINTS, ExitHints


class SignalAction(enum.StrEnum):
    """What a signal asks for."""

    ENTER_LONG = "enter_long"
    EXIT_LONG = "exit_long"
    ENTER_SHORT = "enter_short"
    EXIT_SHORT = "exit_short"

    @property
    def closes(self) -> bool:
        """Tell whether the action closes a position (an exit) rather than opening one."""
        return self in (SignalAction.EXIT_LONG, SignalAction.EXIT_SHORT)


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
    hints: ExitHints = NO_HINTS

    @property
    def market(self) -> str:
        """Return the market as reasons name it: ``exchange:symbol``."""
        return f"{self.exchange}:{self.symbol}"
