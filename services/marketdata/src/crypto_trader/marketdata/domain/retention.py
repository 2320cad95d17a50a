"""Retention policy: how long each timeframe's candles are kept, and what is due for deletion."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Timeframe
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days to keep per timeframe; a timeframe not listed is kept forever."""

    keep_days: Mapping[str, int] = field(default_factory=lambda: {"1m": 90})

    def __post_init__(self) -> None:
        for timeframe, days in self.keep_days.items():
            Timeframe(timeframe)
            if days <= 0:
                raise InvalidInput(f"retention of {timeframe} must be a positive number of days")

    def cutoff_ms(self, timeframe: str, now_ms: int) -> int | None:
        """Return the open time before which candles of a timeframe expire, or None (forever)."""
        days = self.keep_days.get(timeframe)
        return None if days is None else now_ms - days * DAY_MS


@dataclass(frozen=True, slots=True)
class RetentionCut:
    """Delete the market's candles opened before ``before_ms``."""

    key: MarketKey
    before_ms: int


def expired_ranges(
    policy: RetentionPolicy, markets: Iterable[MarketCoverage], now_ms: int
) -> list[RetentionCut]:
    """Return one cut per stored market that holds candles older than its timeframe keeps."""
    cuts: list[RetentionCut] = []
    for market in markets:
        cutoff = policy.cutoff_ms(market.key.timeframe, now_ms)
        if cutoff is not None and market.first_open_time_ms < cutoff:
            cuts.append(RetentionCut(market.key, cutoff))
    return cuts
