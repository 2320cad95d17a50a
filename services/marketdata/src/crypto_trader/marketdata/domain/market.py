"""Markets the service knows: their keys, candle-time alignment and what the store covers."""

from __future__ import annotations

from dataclasses import dataclass

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Candle, Timeframe, validate_symbol

# 1970-01-01 was a Thursday; exchanges open weekly candles on Mondays (1970-01-05).
_WEEK_OFFSET_MS = 4 * 86_400_000
_EXCHANGE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True, slots=True)
class MarketKey:
    """One candle series: an exchange, a unified symbol and a timeframe."""

    exchange: str
    symbol: str
    timeframe: str

    @classmethod
    def parse(cls, exchange: str, symbol: str, timeframe: str) -> MarketKey:
        """Validate the three parts, raising InvalidInput naming the malformed one."""
        if not exchange or not set(exchange) <= _EXCHANGE_CHARS:
            raise InvalidInput(f"exchange must be a ccxt id like 'binance', got {exchange!r}")
        return cls(exchange, validate_symbol(symbol), Timeframe(timeframe).code)

    @property
    def timeframe_ms(self) -> int:
        """Length of one candle in milliseconds."""
        return Timeframe(self.timeframe).milliseconds

    def __str__(self) -> str:
        return f"{self.exchange} {self.symbol} {self.timeframe}"


@dataclass(frozen=True, slots=True)
class MarketCoverage:
    """What the store holds for one market."""

    key: MarketKey
    first_open_time_ms: int
    last_open_time_ms: int
    candle_count: int
    synthetic: bool


def _offset_ms(timeframe_ms: int) -> int:
    return _WEEK_OFFSET_MS if timeframe_ms % 604_800_000 == 0 else 0


def is_aligned(open_time_ms: int, timeframe_ms: int) -> bool:
    """Tell whether a candle of this length may open at this time (UTC boundaries)."""
    return (open_time_ms - _offset_ms(timeframe_ms)) % timeframe_ms == 0


def floor_open_time(time_ms: int, timeframe_ms: int) -> int:
    """Return the open time of the candle that contains ``time_ms``."""
    offset = _offset_ms(timeframe_ms)
    return time_ms - (time_ms - offset) % timeframe_ms


@dataclass(frozen=True, slots=True)
class CandleBatch:
    """Candles of one fetch: the closed ones oldest first, and the still-forming one apart."""

    closed: tuple[Candle, ...]
    forming: Candle | None = None
