"""Rules for candle history queries: bounds and page sizes."""

from __future__ import annotations

from dataclasses import dataclass

from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.domain.market import MarketKey

DEFAULT_PAGE = 1000
MAX_PAGE = 5000


@dataclass(frozen=True, slots=True)
class CandleQuery:
    """A validated request for at most ``limit`` candles opened in [start_ms, end_ms)."""

    key: MarketKey
    start_ms: int
    end_ms: int | None
    limit: int
    from_end: bool


def candle_query(
    key: MarketKey, *, start_ms: int, end_ms: int, limit: int, from_end: bool
) -> CandleQuery:
    """Build a query from wire values (0 means unbounded / the default page); cap the page size.

    Raises
    ------
    InvalidInput
        On negative bounds or limit, or an end not after the start.
    """
    if start_ms < 0 or end_ms < 0:
        raise InvalidInput("start_ms and end_ms must not be negative")
    if limit < 0:
        raise InvalidInput(f"limit must not be negative, got {limit}")
    if end_ms and end_ms <= start_ms:
        raise InvalidInput(f"end_ms ({end_ms}) must be after start_ms ({start_ms})")
    return CandleQuery(
        key=key,
        start_ms=start_ms,
        end_ms=end_ms or None,
        limit=min(limit or DEFAULT_PAGE, MAX_PAGE),
        from_end=from_end,
    )
