"""Live candle feed: poll a provider for closed candles, fail over, never skip or repeat one."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import ConfigurationError, RetryableError
from crypto_trader.common.metrics import PROVIDER_SWITCHES
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.failover import FailoverPolicy, ProviderSwitch
from crypto_trader.marketdata.domain.market import MarketKey, floor_open_time

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CandleBatch:
    """Candles of one fetch: the closed ones oldest first, and the still-forming one apart."""

    closed: tuple[Candle, ...]
    forming: Candle | None = None


class CandleSource(Protocol):
    """One provider of a market's candles (an exchange through ccxt, or a fake)."""

    async def fetch_candles(
        self, symbol: str, timeframe: str, *, since_ms: int | None = None, limit: int | None = None
    ) -> CandleBatch:
        """Return candles opened at or after ``since_ms`` (the newest without it).

        Raises
        ------
        RetryableError
            When the provider cannot answer now.
        """
        ...


CandleSink = Callable[[Candle], Awaitable[None]]
"""Take one closed candle (store it, publish it); RetryableError means "hand it again"."""

SwitchListener = Callable[[ProviderSwitch], None]


class LiveCandleFeed:
    """Hand a market's closed candles to a sink in order, exactly once, across provider switches.

    Each poll asks the current provider for the candles after the last one emitted, page after
    page, so an outage or a switch is backfilled from the cursor: no gap, and nothing emitted
    twice. Candles are handed over under the feed's market key whichever provider served them.
    """

    def __init__(
        self,
        key: MarketKey,
        sources: Mapping[str, CandleSource],
        policy: FailoverPolicy,
        sink: CandleSink,
        *,
        clock: Clock,
        last_open_time_ms: int | None = None,
        page_limit: int = 500,
        initial_candles: int = 100,
        on_switch: SwitchListener | None = None,
        service: str = "marketdata",
    ) -> None:
        missing = [name for name in policy.providers if name not in sources]
        if missing:
            raise ConfigurationError(f"{key}: no source for providers {missing}")
        self.key = key
        self.policy = policy
        self.last_open_time_ms = last_open_time_ms
        self.switches: list[ProviderSwitch] = []
        self._sources = sources
        self._sink = sink
        self._clock = clock
        self._page_limit = page_limit
        self._initial = initial_candles
        self._on_switch = on_switch
        self._service = service

    async def poll(self) -> int:
        """Emit every closed candle available after the cursor; return how many were emitted.

        Raises
        ------
        RetryableError
            When the sink keeps refusing a candle (the cursor stays before it).
        """
        probe = self.policy.probe_due(self._clock.now_ms())
        if probe is not None:
            emitted = await self._try(probe)
            if emitted is not None:
                return emitted
        # A failure moves the market to the next provider: ask it right away, once each.
        for _ in self.policy.providers:
            if self.policy.wait_ms(self._clock.now_ms()) > 0:
                break
            emitted = await self._try(self.policy.current)
            if emitted is not None:
                return emitted
        return 0

    async def run(self, stop: asyncio.Event, *, poll_seconds: float = 5.0) -> None:
        """Poll until ``stop`` is set, waking at least every ``poll_seconds``."""
        while not stop.is_set():
            try:
                await self.poll()
            except RetryableError as error:
                log.warning("candle of %s not handed over yet: %s", self.key, error)
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._sleep_seconds(poll_seconds))
            except TimeoutError:
                pass

    def _sleep_seconds(self, poll_seconds: float) -> float:
        now = self._clock.now_ms()
        wait = self.policy.wait_ms(now) / 1000
        # Wake just after the forming candle closes, so a closed candle goes out promptly.
        step = self.key.timeframe_ms
        until_close = (floor_open_time(now, step) + step - now) / 1000 + 0.05
        return max(0.01, min(poll_seconds, until_close, wait or poll_seconds))

    async def _try(self, provider: str) -> int | None:
        try:
            emitted = await self._backfill(provider)
        except RetryableError as error:
            if isinstance(error, _SinkRefused):
                raise
            self._report(self.policy.record_failure(provider, self._clock.now_ms(), str(error)))
            log.warning("provider %s of %s failed: %s", provider, self.key, error)
            return None
        self._report(self.policy.record_success(provider, self._clock.now_ms()))
        return emitted

    async def _backfill(self, provider: str) -> int:
        source = self._sources[provider]
        emitted = 0
        since = None if self.last_open_time_ms is None else self.last_open_time_ms + 1
        limit = self._initial if since is None else self._page_limit
        while True:
            batch = await source.fetch_candles(
                self.key.symbol, self.key.timeframe, since_ms=since, limit=limit
            )
            fresh = [
                candle
                for candle in batch.closed
                if self.last_open_time_ms is None or candle.open_time_ms > self.last_open_time_ms
            ]
            for candle in fresh:
                await self._emit(candle)
                emitted += 1
            # A full page may have more behind it; anything shorter means we are caught up.
            if not fresh or len(batch.closed) < limit or since is None:
                return emitted
            since = fresh[-1].open_time_ms + 1
            limit = self._page_limit

    async def _emit(self, candle: Candle) -> None:
        own = dataclasses.replace(candle, exchange=self.key.exchange, closed=True)
        try:
            await self._sink(own)
        except RetryableError as error:
            raise _SinkRefused(str(error)) from error
        self.last_open_time_ms = candle.open_time_ms

    def _report(self, switch: ProviderSwitch | None) -> None:
        if switch is None:
            return
        self.switches.append(switch)
        PROVIDER_SWITCHES.labels(
            self._service, switch.from_provider, switch.to_provider, _reason_label(switch)
        ).inc()
        log.warning(
            "%s: provider switched from %s to %s (%s)",
            switch.market,
            switch.from_provider,
            switch.to_provider,
            switch.reason,
        )
        if self._on_switch is not None:
            self._on_switch(switch)


class _SinkRefused(RetryableError):
    """The sink, not the provider, failed: no failover, the same candle goes out next time."""


def _reason_label(switch: ProviderSwitch) -> str:
    # Error texts would explode the label cardinality: count only the kind of switch.
    return "recovered" if switch.reason == "recovered" else "failure"


def build_feed(
    key: MarketKey,
    sources: Mapping[str, CandleSource],
    sink: CandleSink,
    *,
    clock: Clock,
    last_open_time_ms: int | None,
    base_backoff_ms: int = 1_000,
    max_backoff_ms: int = 60_000,
    probe_interval_ms: int = 30_000,
    on_switch: SwitchListener | None = None,
) -> LiveCandleFeed:
    """Build a feed over the sources, preferring them in the mapping's order."""
    policy = FailoverPolicy(
        str(key),
        list(sources),
        base_backoff_ms=base_backoff_ms,
        max_backoff_ms=max_backoff_ms,
        probe_interval_ms=probe_interval_ms,
    )
    return LiveCandleFeed(
        key,
        sources,
        policy,
        sink,
        clock=clock,
        last_open_time_ms=last_open_time_ms,
        on_switch=on_switch,
    )


async def run_live_feed(
    key: MarketKey,
    sources: Mapping[str, CandleSource],
    sink: CandleSink,
    *,
    clock: Clock,
    stop: asyncio.Event,
    last_open_time_ms: int | None,
    poll_seconds: float = 5.0,
    base_backoff_ms: int = 1_000,
    max_backoff_ms: int = 60_000,
    probe_interval_ms: int = 30_000,
    on_switch: SwitchListener | None = None,
) -> LiveCandleFeed:
    """Feed the market's closed candles to the sink until ``stop``; return the feed (its state)."""
    feed = build_feed(
        key,
        sources,
        sink,
        clock=clock,
        last_open_time_ms=last_open_time_ms,
        base_backoff_ms=base_backoff_ms,
        max_backoff_ms=max_backoff_ms,
        probe_interval_ms=probe_interval_ms,
        on_switch=on_switch,
    )
    await feed.run(stop, poll_seconds=poll_seconds)
    return feed
