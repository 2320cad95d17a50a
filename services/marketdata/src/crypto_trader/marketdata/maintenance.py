"""Scheduled store maintenance: delete candles older than the retention policy keeps."""

from __future__ import annotations

import logging
from typing import Protocol

from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey
from crypto_trader.marketdata.domain.retention import RetentionPolicy, expired_ranges

log = logging.getLogger(__name__)


class RetentionStore(Protocol):
    """The part of the candle store retention needs."""

    def coverage(self, exchange: str | None = None) -> list[MarketCoverage]:
        """List every stored market with its range and count."""
        ...

    def delete_before(self, key: MarketKey, before_ms: int) -> int:
        """Delete the market's candles opened before ``before_ms``; return how many went."""
        ...


def apply_retention(
    store: RetentionStore, policy: RetentionPolicy, now_ms: int
) -> dict[MarketKey, int]:
    """Delete every market's expired candles (blocking); return how many went per market."""
    deleted: dict[MarketKey, int] = {}
    for cut in expired_ranges(policy, store.coverage(), now_ms):
        count = store.delete_before(cut.key, cut.before_ms)
        deleted[cut.key] = count
        log.info(
            "retention deleted candles",
            extra={"market": str(cut.key), "before_ms": cut.before_ms, "deleted": count},
        )
    return deleted
