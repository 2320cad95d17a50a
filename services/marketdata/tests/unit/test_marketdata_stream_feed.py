"""The streaming live feed over fake providers: streamed candles, failover and REST catch-ups."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.feed import CandleBatch, LiveCandleFeed, build_feed
from crypto_trader.marketdata.testing import START_MS, make_candles

KEY = MarketKey("binance", "BTC/USDT", "1m")
STEP = 60_000
SERIES = make_candles(KEY, count=100)


class RestSource:
    """Serve the series up to the clock over "REST" (forming candle apart), or fail while down."""

    def __init__(self, name: str, clock: FakeClock) -> None:
        self.name = name
        self.down = False
        self.calls = 0
        self._clock = clock

    async def fetch_candles(
        self, symbol: str, timeframe: str, *, since_ms: int | None = None, limit: int | None = None
    ) -> CandleBatch:
        self.calls += 1
        if self.down:
            raise RetryableError(f"{self.name} unavailable")
        now = self._clock.now_ms()
        closed = [
            dataclasses.replace(candle, exchange=self.name)
            for candle in SERIES
            if candle.close_time_ms <= now and (since_ms is None or candle.open_time_ms >= since_ms)
        ]
        forming = next(
            dataclasses.replace(candle, exchange=self.name)
            for candle in SERIES
            if candle.close_time_ms > now
        )
        return CandleBatch(
            tuple(closed[:limit] if since_ms is not None else closed[-(limit or 1) :]), forming
        )


class FakeStream:
    """A kline stream the test feeds: each item is a batch to return or an error to raise."""

    def __init__(self) -> None:
        self.items: asyncio.Queue[CandleBatch | Exception] = asyncio.Queue()
        self.stopped = 0

    async def watch_candles(
        self, symbol: str, timeframe: str, *, timeout_seconds: float
    ) -> CandleBatch:
        try:
            item = await asyncio.wait_for(self.items.get(), timeout=timeout_seconds)
        except TimeoutError:
            return CandleBatch(())
        if isinstance(item, Exception):
            raise item
        return item

    async def stop_watching(self, symbol: str, timeframe: str) -> None:
        self.stopped += 1


def _candle(minute: int, *, closed: bool = True) -> Candle:
    return dataclasses.replace(SERIES[minute], closed=closed)


async def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition never met")
        await asyncio.sleep(0.01)


def _minutes(candles: list[Candle]) -> list[int]:
    return [(candle.open_time_ms - START_MS) // STEP for candle in candles]


class Harness:
    def __init__(self) -> None:
        self.clock = FakeClock(START_MS + 5 * STEP + 1_000)
        self.rest = {name: RestSource(name, self.clock) for name in ("binance", "okx")}
        self.stream = FakeStream()
        self.emitted: list[Candle] = []
        self.forming: list[Candle] = []
        self.stop = asyncio.Event()

    def feed(self) -> LiveCandleFeed:
        async def sink(candle: Candle) -> None:
            self.emitted.append(candle)

        async def forming(candle: Candle) -> None:
            self.forming.append(candle)

        return build_feed(
            KEY,
            self.rest,
            sink,
            clock=self.clock,
            last_open_time_ms=START_MS + 2 * STEP,
            base_backoff_ms=10 * STEP,
            max_backoff_ms=20 * STEP,
            probe_interval_ms=10 * STEP,
            streams={"binance": self.stream},  # the backup has no kline stream: it is polled
            forming=forming,
        )


class TestStreamingCandleFeed:
    async def test_streamed_candles_follow_the_rest_catch_up_and_forming_ones_go_apart(
        self,
    ) -> None:
        h = Harness()
        feed = h.feed()
        task = asyncio.create_task(feed.run(h.stop, poll_seconds=0.01))
        try:
            await _wait_until(lambda: len(h.emitted) == 2)  # REST: candles 3 and 4
            calls = h.rest["binance"].calls
            await h.stream.items.put(CandleBatch((), _candle(5, closed=False)))
            # A burst may repeat a candle already handed over: it is not handed over twice.
            repeat = CandleBatch((_candle(4), _candle(5)), _candle(6, closed=False))
            await h.stream.items.put(repeat)
            await _wait_until(lambda: len(h.emitted) == 3)
            await asyncio.sleep(0.05)
        finally:
            h.stop.set()
            await asyncio.wait_for(task, timeout=2)

        assert _minutes(h.emitted) == [3, 4, 5]
        assert all(candle.closed for candle in h.emitted)
        assert h.rest["binance"].calls == calls  # candle 5 came over the stream alone
        # One path for forming candles: the REST catch-up's (5), then the stream's (5, 6).
        assert _minutes(h.forming) == [5, 5, 6]
        assert not any(candle.closed for candle in h.forming)

    async def test_a_forming_candle_older_than_the_last_closed_one_is_not_announced(
        self,
    ) -> None:
        h = Harness()
        feed = h.feed()
        task = asyncio.create_task(feed.run(h.stop, poll_seconds=0.01))
        try:
            await _wait_until(lambda: len(h.emitted) == 2 and len(h.forming) == 1)
            h.clock.advance(STEP)
            # A late update of candle 4 (already handed over closed) comes with closed candle 5.
            await h.stream.items.put(CandleBatch((_candle(5),), _candle(4, closed=False)))
            await _wait_until(lambda: len(h.emitted) == 3)
            await h.stream.items.put(CandleBatch((), _candle(6, closed=False)))
            await _wait_until(lambda: 6 in _minutes(h.forming))
        finally:
            h.stop.set()
            await asyncio.wait_for(task, timeout=2)

        assert _minutes(h.emitted) == [3, 4, 5]
        # A REST catch-up may announce 6 as well; the stale update of 4 never goes out.
        assert 4 not in _minutes(h.forming)
        assert _minutes(h.forming) == sorted(_minutes(h.forming))
        assert not any(candle.closed for candle in h.forming)

    async def test_a_stream_error_fails_over_and_rest_fills_the_gap(self) -> None:
        h = Harness()
        feed = h.feed()
        task = asyncio.create_task(feed.run(h.stop, poll_seconds=0.01))
        try:
            await _wait_until(lambda: len(h.emitted) == 2)
            h.rest["binance"].down = True
            h.clock.advance(3 * STEP)  # candles 5, 6 and 7 close while the stream is broken
            await h.stream.items.put(RetryableError("connection closed by remote server"))
            await _wait_until(lambda: len(h.emitted) == 5)
            await asyncio.sleep(0.05)
        finally:
            h.stop.set()
            await asyncio.wait_for(task, timeout=2)

        assert _minutes(h.emitted) == [3, 4, 5, 6, 7]
        assert [(s.from_provider, s.to_provider) for s in feed.switches] == [("binance", "okx")]
        assert {candle.exchange for candle in h.emitted} == {"binance"}
        assert h.rest["okx"].calls > 0
        assert h.stream.stopped >= 1

    async def test_a_candle_the_stream_skipped_is_fetched_over_rest_before_later_ones(
        self,
    ) -> None:
        h = Harness()
        feed = h.feed()
        task = asyncio.create_task(feed.run(h.stop, poll_seconds=0.01))
        try:
            await _wait_until(lambda: len(h.emitted) == 2)
            h.clock.advance(3 * STEP)
            # Candles 5 and 6 never came over the stream; 7 did.
            await h.stream.items.put(CandleBatch((_candle(7),), _candle(8, closed=False)))
            await _wait_until(lambda: len(h.emitted) == 5)
            await asyncio.sleep(0.05)
        finally:
            h.stop.set()
            await asyncio.wait_for(task, timeout=2)

        assert _minutes(h.emitted) == [3, 4, 5, 6, 7]
        assert feed.switches == []
