"""Repair a stored market's gaps from its exchange, remembering the ranges the exchange lacks."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.gap_repair import (
    OpenTimeRange,
    RepairPlan,
    plan_repair,
    stored_holes,
    unfilled_ranges,
)
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.feed import CandleSource

log = logging.getLogger(__name__)


class RepairStore(Protocol):
    """The part of the candle store gap repair needs."""

    def read_open_times(
        self, key: MarketKey, *, start_ms: int = 0, end_ms: int | None = None
    ) -> list[int]:
        """Return the open times stored in [start_ms, end_ms), oldest first."""
        ...

    def add_candles(self, candles: Sequence[Candle]) -> int:
        """Store the candles not stored yet and return how many were new."""
        ...

    def load_outages(self, key: MarketKey) -> list[OpenTimeRange]:
        """Return the ranges the market's exchange was found to have no candles in."""
        ...

    def save_outages(self, key: MarketKey, ranges: Sequence[OpenTimeRange]) -> None:
        """Remember ranges the market's exchange has no candles in."""
        ...


@dataclass(frozen=True, slots=True)
class RepairReport:
    """What one market's repair found, stored, and found missing on the exchange."""

    key: MarketKey
    plan: RepairPlan
    stored: int
    # Ranges asked for in this run that the exchange had no candles in (now remembered).
    no_data: list[OpenTimeRange]

    def candles(self, ranges: Sequence[OpenTimeRange]) -> int:
        """Return how many candles of the market's timeframe the ranges hold."""
        return sum(found.candles(self.key.timeframe_ms) for found in ranges)


async def plan_market_repair(
    store: RepairStore, key: MarketKey, *, since_ms: int | None = None, until_ms: int | None = None
) -> RepairPlan:
    """Find the market's holes in [since_ms, until_ms) and plan what to fetch for them.

    Ranges remembered as having no candles on the exchange are left out of the fetch.
    """
    open_times = await asyncio.to_thread(
        store.read_open_times, key, start_ms=since_ms or 0, end_ms=until_ms
    )
    holes = stored_holes(open_times, key.timeframe_ms, since_ms=since_ms)
    known = await asyncio.to_thread(store.load_outages, key) if holes else []
    return plan_repair(holes, known)


async def repair_gaps(
    store: RepairStore,
    source: CandleSource,
    key: MarketKey,
    plan: RepairPlan,
    *,
    page: int,
    on_progress: Callable[[int], None] | None = None,
) -> RepairReport:
    """Fetch the planned ranges ``page`` candles at a time and store them; remember empty ones.

    ``on_progress(candles)`` is called as each page is stored and each empty range is found,
    with the number of planned candles just dealt with.

    Raises
    ------
    RetryableError
        When the exchange cannot answer; what was stored and found so far is kept.
    """
    step = key.timeframe_ms
    symbol, timeframe = key.symbol, key.timeframe
    stored = 0
    no_data: list[OpenTimeRange] = []
    for wanted in plan.to_fetch:
        received: list[int] = []
        start = wanted.start_ms
        while start < wanted.end_ms:
            batch = await source.fetch_candles(symbol, timeframe, since_ms=start, limit=page)
            candles = [
                _as_market(candle, key)
                for candle in batch.closed
                if start <= candle.open_time_ms < wanted.end_ms
            ]
            if not candles:
                break
            stored += await asyncio.to_thread(store.add_candles, candles)
            received.extend(candle.open_time_ms for candle in candles)
            start = candles[-1].open_time_ms + step
            if on_progress is not None:
                on_progress(len(candles))
        empty = unfilled_ranges(wanted, received, step)
        if empty:
            await asyncio.to_thread(store.save_outages, key, empty)
            no_data.extend(empty)
            log.info(
                "exchange has no candles in a gap",
                extra={"market": str(key), "ranges": [(r.start_ms, r.end_ms) for r in empty]},
            )
            if on_progress is not None:
                on_progress(sum(found.candles(step) for found in empty))
    return RepairReport(key, plan, stored, no_data)


def _as_market(candle: Candle, key: MarketKey) -> Candle:
    # Stored under the repaired market's key whatever spelling the provider uses.
    if (candle.exchange, candle.symbol, candle.timeframe) == (
        key.exchange,
        key.symbol,
        key.timeframe,
    ):
        return candle
    return dataclasses.replace(
        candle, exchange=key.exchange, symbol=key.symbol, timeframe=key.timeframe
    )
