"""Shared value types: symbols, timeframes, sides, decimals and candles."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from crypto_trader.common.errors import InvalidInput

_TIMEFRAME_UNITS_MS = {
    "s": 1_000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
}
_TIMEFRAME_PATTERN = re.compile(r"^(\d+)([smhdw])$")
_SYMBOL_PATTERN = re.compile(r"^[A-Z0-9]{1,20}/[A-Z0-9]{1,20}(:[A-Z0-9]{1,20})?$")


class Side(enum.StrEnum):
    """Direction of an order or fill."""

    BUY = "buy"
    SELL = "sell"

    def opposite(self) -> Side:
        """Return the other side."""
        return Side.SELL if self is Side.BUY else Side.BUY


def to_decimal(value: str | int | Decimal, *, field: str = "value") -> Decimal:
    """Parse a finite decimal from a string, int or Decimal; floats are refused on purpose.

    Raises
    ------
    InvalidInput
        When the value is empty, not a number, NaN or infinite.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise InvalidInput(f"{field} must be a decimal string, not {type(value).__name__}")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(f"{field} is not a decimal number: {value!r}") from None
    if not number.is_finite():
        raise InvalidInput(f"{field} must be finite, got {value!r}")
    return number


def decimal_str(value: Decimal) -> str:
    """Format a decimal for the wire without exponent notation or trailing zeros."""
    if value == 0:
        return "0"
    # format() keeps every digit; normalize() would round to the context's 28 significant digits.
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@dataclass(frozen=True, slots=True)
class Timeframe:
    """A candle period in ccxt notation (``1m``, ``5m``, ``1h``, ``1d``)."""

    code: str

    def __post_init__(self) -> None:
        if not _TIMEFRAME_PATTERN.match(self.code) or int(self.code[:-1]) == 0:
            raise InvalidInput(f"unknown timeframe {self.code!r}; use forms like 1m, 5m, 1h, 1d")

    @property
    def milliseconds(self) -> int:
        """Length of one candle in milliseconds."""
        match = _TIMEFRAME_PATTERN.match(self.code)
        if match is None:  # unreachable: checked in __post_init__
            raise InvalidInput(f"unknown timeframe {self.code!r}")
        return int(match.group(1)) * _TIMEFRAME_UNITS_MS[match.group(2)]

    def __str__(self) -> str:
        return self.code


def validate_symbol(symbol: str) -> str:
    """Return a ccxt unified symbol (``BTC/USDT``) unchanged, or raise InvalidInput."""
    if not _SYMBOL_PATTERN.match(symbol):
        raise InvalidInput(f"symbol must look like BASE/QUOTE (e.g. BTC/USDT), got {symbol!r}")
    return symbol


def base_asset(symbol: str) -> str:
    """Return the base currency of a unified symbol."""
    return validate_symbol(symbol).split("/")[0]


def quote_asset(symbol: str) -> str:
    """Return the quote (settlement) currency of a unified symbol."""
    return validate_symbol(symbol).split("/")[1].split(":")[0]


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle with exact decimal prices."""

    exchange: str
    symbol: str
    timeframe: str
    open_time_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    closed: bool = True
    synthetic: bool = False

    def __post_init__(self) -> None:
        if self.high < self.low:
            raise InvalidInput(f"candle at {self.open_time_ms}: high {self.high} < low {self.low}")
        if not (self.low <= self.open <= self.high and self.low <= self.close <= self.high):
            raise InvalidInput(f"candle at {self.open_time_ms}: open/close outside high-low range")
        if self.volume < 0:
            raise InvalidInput(f"candle at {self.open_time_ms}: negative volume {self.volume}")

    @property
    def close_time_ms(self) -> int:
        """Open time of the next candle."""
        return self.open_time_ms + Timeframe(self.timeframe).milliseconds
