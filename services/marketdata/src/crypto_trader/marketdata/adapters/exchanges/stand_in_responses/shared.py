"""What every stand-in answer shares: the candle series, the state it reads, the route type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from crypto_trader.common.model import Timeframe
from crypto_trader.marketdata.adapters.exchanges.stand_in_books import StandInBook

# One candle series shared by every stand-in: two providers serving it agree on every candle.
SERIES_START_MS = 1_700_000_040_000 - 1_700_000_040_000 % 3_600_000  # a whole hour
SERIES_BASE_PRICE = Decimal("30000.1")


def series_row(open_time_ms: int, timeframe: str) -> tuple[int, str, str, str, str, str]:
    """Return the stand-in series' candle at an open time as decimal strings (o, h, l, c, v)."""
    index = (open_time_ms - SERIES_START_MS) // Timeframe(timeframe).milliseconds
    price = SERIES_BASE_PRICE + index
    return (
        open_time_ms,
        str(price),
        str(price + 2),
        str(price - 1),
        str(price + Decimal("0.5")),
        str(Decimal("1.25") + index),
    )


class StandInState(Protocol):
    """What an answer may read from the stand-in serving it."""

    timeframe: str
    book: StandInBook

    def server_now_ms(self) -> int:
        """Return the exchange's own clock."""
        ...

    def rows(self) -> list[tuple[int, str, str, str, str, str]]:
        """Return the series up to and including the forming candle, oldest first."""
        ...


Route = Callable[[StandInState, Mapping[str, str]], Any]
