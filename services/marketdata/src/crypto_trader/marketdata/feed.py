"""Live candle feed: poll or stream a provider's closed candles, fail over, never skip or repeat."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import ConfigurationError, InvalidInput, RetryableError
from crypto_trader.common.metrics import PROVIDER_SWITCHES
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.failover import FailoverPolicy, ProviderSwitch
from crypto_trader.marketdata.domain.market import CandleBatch, MarketKey, floor_open_time

log = logging.getLogger(__name__)


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


class CandleStream(Protocol):
    """One provider's live kline stream (a websocket through ccxt.pro, or a fake)."""

    async def watch_candles(
        self, symbol: str, timeframe: str, *, timeout_seconds: float
    ) -> CandleBatch:
        """Wait up to ``timeout_seconds`` for updates; return what they closed and the forming one.

        Raises
        ------
        RetryableError
            When the stream failed (disconnect, timeout); the next call subscribes afresh.
        """
        ...

    async def stop_watching(self, symbol: str, timeframe: str) -> None:
        """Stop following the market's klines and forget its partial candles."""
        ...


CandleSink = Callable[[Candle], Awaitable[None]]
"""Take one closed candle (store it, publish it); RetryableError means "hand it again"."""

SwitchListener = Callable[[ProviderSwitch], None]


class LiveCandleFeed:
    """Hand a market's closed candles to a sink in order, exactly once, across provider switches.

    Each poll asks the current provider for the candles after the last one emitted, page after
    page, so an outage or a switch is backfilled from the cursor: no gap, and nothing emitted
    twice. Candles are handed over under the feed's market key whichever provider served them.

    The still-forming candle a provider reports (over REST here, over a kline stream in
    ``StreamingCandleFeed``) goes to ``forming``, marked not closed, and only while it is newer
    than the last closed candle: one path for forming candles, whatever the transport. Forming
    updates are lossy; one the sink refuses is dropped, the next poll brings a newer one.
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
        forming: CandleSink | None = None,
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
        self._forming = forming
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
            if batch.forming is not None:
                await self._announce_forming(batch.forming)
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

    async def _announce_forming(self, candle: Candle) -> None:
        last = self.last_open_time_ms
        if self._forming is None or (last is not None and candle.open_time_ms <= last):
            return
        try:
            own = dataclasses.replace(candle, exchange=self.key.exchange, closed=False)
            await self._forming(own)
        except RetryableError as error:
            # Forming updates are lossy by design: the next poll or kline update brings a newer one.
            log.info("forming candle of %s not published: %s", self.key, error)

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


class StreamingCandleFeed(LiveCandleFeed):
    """A live feed that follows the current provider's kline stream between REST catch-ups.

    Whenever the feed (re)starts following a provider it first catches up over REST from the last
    candle handed over (the polling feed's ``poll``, failover and probes included). The stream's
    closed candles are then handed over only while each one directly follows the cursor. A stream
    error counts as a failure of the provider in the failover policy, and the next REST catch-up,
    on whichever provider the policy picks, fills the gap; a missed candle, or a close the stream
    has not brought ``poll_seconds`` after it was due, also sends the feed back to REST. Providers
    without a stream are polled. Forming candles, streamed or fetched, go to ``forming``.
    """

    def __init__(
        self,
        key: MarketKey,
        sources: Mapping[str, CandleSource],
        policy: FailoverPolicy,
        sink: CandleSink,
        *,
        streams: Mapping[str, CandleStream],
        **options: Any,
    ) -> None:
        super().__init__(key, sources, policy, sink, **options)
        self._streams = dict(streams)
        self._following: str | None = None
        self._caught_up_ms = self._clock.now_ms()

    async def run(self, stop: asyncio.Event, *, poll_seconds: float = 5.0) -> None:
        """Stream (or poll) until ``stop`` is set, catching up over REST after every break."""
        try:
            while not stop.is_set():
                provider = self.policy.current if await self._catch_up() else None
                stream = None if provider is None else self._streams.get(provider)
                await self._follow_only(provider if stream is not None else None)
                if provider is not None and stream is not None:
                    try:
                        await self._follow(provider, stream, stop, poll_seconds)
                        continue
                    except _SinkRefused as error:
                        log.warning("candle of %s not handed over yet: %s", self.key, error)
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self._sleep_seconds(poll_seconds))
                except TimeoutError:
                    pass
        finally:
            await self._follow_only(None)

    async def _catch_up(self) -> bool:
        # True when the current provider answered: the stream may take over from the cursor.
        try:
            await self.poll()
        except RetryableError as error:
            log.warning("candle of %s not handed over yet: %s", self.key, error)
            return False
        self._caught_up_ms = self._clock.now_ms()
        return self.policy.wait_ms(self._caught_up_ms) == 0

    async def _follow(
        self, provider: str, stream: CandleStream, stop: asyncio.Event, poll_seconds: float
    ) -> None:
        step = self.key.timeframe_ms
        while not stop.is_set():
            try:
                batch = await self._watch(stream, stop, self._sleep_seconds(poll_seconds))
            except RetryableError as error:
                self._report(self.policy.record_failure(provider, self._clock.now_ms(), str(error)))
                log.warning("stream of %s from %s failed: %s", self.key, provider, error)
                await self._follow_only(None)
                return
            except InvalidInput as error:
                # The exchange streams, but not this market or timeframe: poll it instead.
                log.warning("no stream of %s from %s, polling it: %s", self.key, provider, error)
                await self._follow_only(None)
                del self._streams[provider]
                return
            if batch is None:
                return
            for candle in batch.closed:
                last = self.last_open_time_ms
                if last is not None and candle.open_time_ms <= last:
                    continue
                if last is not None and candle.open_time_ms != last + step:
                    return  # the stream skipped a candle: REST fills the gap first
                await self._emit(candle)
            if batch.forming is not None:
                await self._announce_forming(batch.forming)
            # On a backup provider, go back to REST every round: that is where probes happen.
            if self._overdue(poll_seconds) or provider != self.policy.preferred:
                return

    async def _watch(
        self, stream: CandleStream, stop: asyncio.Event, timeout_seconds: float
    ) -> CandleBatch | None:
        # None when told to stop: a quiet stream must not hold up a shutdown.
        watch = asyncio.ensure_future(
            stream.watch_candles(
                self.key.symbol, self.key.timeframe, timeout_seconds=timeout_seconds
            )
        )
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({watch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not watch.done():
                watch.cancel()
        return watch.result() if watch.done() and not watch.cancelled() else None

    def _overdue(self, poll_seconds: float) -> bool:
        now = self._clock.now_ms()
        grace = int(poll_seconds * 1000)
        if now - self._caught_up_ms < grace:
            return False
        step = self.key.timeframe_ms
        if self.last_open_time_ms is None:
            return now >= self._caught_up_ms + step + grace
        return now >= self.last_open_time_ms + 2 * step + grace

    async def _follow_only(self, provider: str | None) -> None:
        # Stop the stream of the provider followed until now when another one (or none) takes over.
        if self._following is not None and self._following != provider:
            stream = self._streams.get(self._following)
            if stream is not None:
                await stream.stop_watching(self.key.symbol, self.key.timeframe)
        self._following = provider


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
    streams: Mapping[str, CandleStream] | None = None,
    forming: CandleSink | None = None,
) -> LiveCandleFeed:
    """Build a feed over the sources, preferring them in the mapping's order.

    With ``streams`` (the providers that have a kline stream) the feed follows them and polls the
    others; without, it polls every provider. Either way, forming candles go to ``forming``.
    """
    policy = FailoverPolicy(
        str(key),
        list(sources),
        base_backoff_ms=base_backoff_ms,
        max_backoff_ms=max_backoff_ms,
        probe_interval_ms=probe_interval_ms,
    )
    if streams is not None:
        return StreamingCandleFeed(
            key,
            sources,
            policy,
            sink,
            streams=streams,
            forming=forming,
            clock=clock,
            last_open_time_ms=last_open_time_ms,
            on_switch=on_switch,
        )
    return LiveCandleFeed(
        key,
        sources,
        policy,
        sink,
        clock=clock,
        last_open_time_ms=last_open_time_ms,
        on_switch=on_switch,
        forming=forming,
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
    streams: Mapping[str, CandleStream] | None = None,
    forming: CandleSink | None = None,
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
        streams=streams,
        forming=forming,
    )
    await feed.run(stop, poll_seconds=poll_seconds)
    return feed
