"""The live candle feed over fake providers: in order, exactly once, across outages and switches."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.failover import FailoverPolicy
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.feed import CandleBatch, LiveCandleFeed
from crypto_trader.marketdata.testing import START_MS, make_candles

KEY = MarketKey("binance", "BTC/USDT", "1m")
STEP = 60_000


class SeriesSource:
    """Serve one candle series up to the clock (forming candle apart), or fail while down."""

    def __init__(self, name: str, clock: FakeClock, series: list[Candle]) -> None:
        self.name = name
        self.down = False
        self.calls = 0
        self._clock = clock
        self._series = series

    async def fetch_candles(
        self, symbol: str, timeframe: str, *, since_ms: int | None = None, limit: int | None = None
    ) -> CandleBatch:
        self.calls += 1
        if self.down:
            raise RetryableError(f"{self.name} unavailable")
        now = self._clock.now_ms()
        rows = [
            dataclasses.replace(candle, exchange=self.name)
            for candle in self._series
            if candle.open_time_ms <= now and (since_ms is None or candle.open_time_ms >= since_ms)
        ]
        closed = [candle for candle in rows if candle.close_time_ms <= now]
        forming = next((candle for candle in rows if candle.close_time_ms > now), None)
        if limit is not None:
            closed = closed[-limit:] if since_ms is None else closed[:limit]
        return CandleBatch(tuple(closed), forming)


class Sink:
    def __init__(self, failures: int = 0) -> None:
        self.candles: list[Candle] = []
        self._failures = failures

    async def __call__(self, candle: Candle) -> None:
        if self._failures:
            self._failures -= 1
            raise RetryableError("store away")
        self.candles.append(candle)


def _setup(
    *,
    last: int | None = START_MS + 2 * STEP,
    page_limit: int = 500,
    sink: Sink | None = None,
    forming: Sink | None = None,
) -> tuple[FakeClock, dict[str, SeriesSource], Sink, LiveCandleFeed]:
    clock = FakeClock(START_MS + 5 * STEP + 1)
    series = make_candles(KEY, count=200)
    sources = {
        "binance": SeriesSource("binance", clock, series),
        "okx": SeriesSource("okx", clock, series),
    }
    sink = sink or Sink()
    policy = FailoverPolicy(
        str(KEY), list(sources), base_backoff_ms=2 * STEP, max_backoff_ms=8 * STEP,
        probe_interval_ms=0,
    )  # fmt: skip
    feed = LiveCandleFeed(
        KEY,
        sources,
        policy,
        sink,
        clock=clock,
        last_open_time_ms=last,
        page_limit=page_limit,
        initial_candles=5,
        forming=forming,
    )
    return clock, sources, sink, feed


def _open_times(candles: list[Candle]) -> list[int]:
    return [(candle.open_time_ms - START_MS) // STEP for candle in candles]


class TestLiveCandleFeed:
    async def test_hands_over_closed_candles_after_the_stored_one_never_the_forming_one(
        self,
    ) -> None:
        clock, _, sink, feed = _setup()

        emitted = await feed.poll()

        # Now is inside candle 5: candles 3 and 4 are closed, 5 is still forming.
        assert emitted == 2
        assert _open_times(sink.candles) == [3, 4]
        assert all(candle.closed and candle.exchange == "binance" for candle in sink.candles)

    async def test_a_polled_forming_candle_goes_to_the_forming_sink_never_to_the_closed_one(
        self,
    ) -> None:
        forming = Sink()
        clock, sources, sink, feed = _setup(forming=forming)
        await feed.poll()
        sources["binance"].down = True
        clock.advance(STEP)  # into candle 6, served by the backup

        await feed.poll()

        assert _open_times(sink.candles) == [3, 4, 5]
        assert _open_times(forming.candles) == [5, 6]
        assert not any(candle.closed for candle in forming.candles)
        assert all(candle.closed for candle in sink.candles)
        # Forming candles, like closed ones, keep the feed's market whichever provider served them.
        assert {candle.exchange for candle in forming.candles} == {"binance"}

    async def test_a_forming_candle_refused_by_its_sink_does_not_hold_up_closed_ones(
        self,
    ) -> None:
        forming = Sink(failures=1)
        _, _, sink, feed = _setup(forming=forming)

        emitted = await feed.poll()

        assert emitted == 2 and forming.candles == []
        assert feed.policy.current == "binance"  # the sink, not the provider, refused

    async def test_starts_from_the_newest_candles_when_nothing_is_stored(self) -> None:
        _, _, sink, feed = _setup(last=None)

        await feed.poll()

        assert _open_times(sink.candles) == [0, 1, 2, 3, 4]

    async def test_outage_and_recovery_leave_no_gap_and_no_duplicate(self) -> None:
        clock, sources, sink, feed = _setup()
        await feed.poll()
        sources["binance"].down = True
        for minute in range(12):
            if minute == 6:
                sources["binance"].down = False
            clock.advance(STEP)
            await feed.poll()

        assert _open_times(sink.candles) == list(range(3, 17))
        assert [(s.from_provider, s.to_provider) for s in feed.switches] == [
            ("binance", "okx"),
            ("okx", "binance"),
        ]
        assert feed.policy.current == "binance"
        # The backup served while the preferred was down, but candles keep the feed's market.
        assert {candle.exchange for candle in sink.candles} == {"binance"}

    async def test_backfills_a_long_outage_page_by_page(self) -> None:
        clock, sources, sink, feed = _setup(page_limit=3)
        sources["binance"].down = True
        sources["okx"].down = True
        await feed.poll()
        clock.advance(20 * STEP)
        sources["binance"].down = False
        sources["okx"].down = False

        await feed.poll()

        assert _open_times(sink.candles) == list(range(3, 25))

    async def test_a_sink_failure_keeps_the_candle_for_the_next_poll_without_failover(
        self,
    ) -> None:
        _, _, sink, feed = _setup(sink=Sink(failures=1))

        with pytest.raises(RetryableError):
            await feed.poll()
        await feed.poll()

        assert _open_times(sink.candles) == [3, 4]
        assert feed.switches == []

    async def test_run_stops_when_told(self) -> None:
        _, _, sink, feed = _setup()
        stop = asyncio.Event()

        task = asyncio.create_task(feed.run(stop, poll_seconds=0.01))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, timeout=1)

        assert _open_times(sink.candles) == [3, 4]
