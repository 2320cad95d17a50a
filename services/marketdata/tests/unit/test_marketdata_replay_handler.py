"""Preparing the replay source and replaying stored candles, with in-memory fakes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import ConfigurationError
from crypto_trader.marketdata import replay_runner
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
)
from crypto_trader.marketdata.replay_source import ReplayConfig, prepare_replay
from crypto_trader.marketdata.testing import (
    BTC_5M,
    START_MS,
    FakeFileImport,
    InMemoryCandleStore,
    RecordingPublisher,
    make_candles,
)

STEP = BTC_5M.timeframe_ms
FAST = 1e9  # replay speed at which pacing waits are negligible


async def prepare(
    config: ReplayConfig,
    store: InMemoryCandleStore,
    *,
    file_candles: list | None = None,
) -> ReplayPlan:
    return await prepare_replay(
        config,
        store=store,
        import_file=FakeFileImport(store, file_candles or []),
        clock=FakeClock(START_MS + 10_000 * STEP),
    )


async def run_replay(
    plan: ReplayPlan,
    store: InMemoryCandleStore,
    publisher: RecordingPublisher,
    *,
    stop: asyncio.Event | None = None,
    speed: float = FAST,
    status: ReplayStatus | None = None,
) -> bool:
    return await replay_runner.replay(
        plan,
        speed=speed,
        store=store,
        cursors=store,
        publisher=publisher,
        status=status or ReplayStatus(),
        stop=stop or asyncio.Event(),
    )


def store_plan(start_ms: int = 0, end_ms: int | None = None) -> ReplayPlan:
    return ReplayPlan(SourceKind.STORE, ReplayWindow(BTC_5M, start_ms, end_ms), synthetic=False)


class TestPrepareReplay:
    async def test_auto_with_a_file_imports_it_and_replays_its_range(self) -> None:
        store = InMemoryCandleStore(make_candles(count=5, start_ms=START_MS - 100 * STEP))
        config = ReplayConfig(BTC_5M, replay_file=Path("btc.json"))

        plan = await prepare(config, store, file_candles=make_candles(count=20))

        assert plan.source is SourceKind.FILE
        assert plan.window == ReplayWindow(BTC_5M, START_MS, START_MS + 19 * STEP + 1)
        assert not plan.synthetic
        assert store.count_candles(BTC_5M) == 25

    async def test_a_file_without_valid_candles_is_a_configuration_error(self) -> None:
        config = ReplayConfig(BTC_5M, source="file", replay_file=Path("empty.json"))
        with pytest.raises(ConfigurationError, match="no valid candle"):
            await prepare(config, InMemoryCandleStore(), file_candles=[])

    async def test_auto_without_a_file_replays_the_store(self) -> None:
        store = InMemoryCandleStore(make_candles(count=7))

        plan = await prepare(ReplayConfig(BTC_5M, replay_start_ms=5), store)

        assert plan == ReplayPlan(SourceKind.STORE, ReplayWindow(BTC_5M, 5, None), synthetic=False)

    async def test_auto_seeds_labelled_synthetic_candles_when_nothing_else_exists(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        store = InMemoryCandleStore()
        config = ReplayConfig(BTC_5M, synthetic_candles=300)

        with caplog.at_level(logging.WARNING):
            plan = await prepare(config, store)

        assert plan.source is SourceKind.SYNTHETIC
        assert plan.synthetic
        stored = store.read_candles(BTC_5M)
        assert len(stored) == 300
        assert all(candle.synthetic for candle in stored)
        # The series ends with the last candle closed before "now".
        assert stored[-1].open_time_ms == START_MS + 9_999 * STEP
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("SYNTHETIC" in message for message in warnings)

    async def test_a_store_seeded_with_synthetic_candles_stays_labelled_synthetic(self) -> None:
        store = InMemoryCandleStore(make_candles(count=3, synthetic=True))

        plan = await prepare(ReplayConfig(BTC_5M, source="store"), store)

        assert plan.source is SourceKind.STORE
        assert plan.synthetic

    async def test_explicit_ccxt_never_invents_data(self) -> None:
        store = InMemoryCandleStore()

        plan = await prepare(ReplayConfig(BTC_5M, source="ccxt"), store)

        assert store.count_candles(BTC_5M) == 0
        assert plan.window.end_ms == plan.window.start_ms  # nothing to replay
        assert not plan.synthetic

    async def test_replay_limit_ends_the_window_after_that_many_candles(self) -> None:
        store = InMemoryCandleStore(make_candles(count=50))
        config = ReplayConfig(
            BTC_5M, source="store", replay_start_ms=START_MS + 10 * STEP, replay_limit=5
        )

        plan = await prepare(config, store)

        assert plan.window == ReplayWindow(BTC_5M, START_MS + 10 * STEP, START_MS + 14 * STEP + 1)


class TestReplay:
    async def test_publishes_every_candle_of_the_window_in_order_and_saves_the_cursor(self) -> None:
        candles = make_candles(count=2500)  # more than one page
        store = InMemoryCandleStore(candles)
        publisher = RecordingPublisher()
        status = ReplayStatus()

        finished = await run_replay(store_plan(), store, publisher, status=status)

        assert finished
        assert publisher.published == candles
        assert store.load_cursor(BTC_5M) == candles[-1].open_time_ms
        assert (status.published, status.total, status.finished) == (2500, 2500, True)
        assert status.last_open_time_ms == candles[-1].open_time_ms

    async def test_respects_the_window_bounds(self) -> None:
        candles = make_candles(count=20)
        store = InMemoryCandleStore(candles)
        publisher = RecordingPublisher()

        await run_replay(
            store_plan(candles[5].open_time_ms, candles[9].open_time_ms + 1), store, publisher
        )

        assert publisher.published == candles[5:10]

    async def test_resumes_after_a_stop_without_gaps_or_repeats(self) -> None:
        candles = make_candles(count=40)
        store = InMemoryCandleStore(candles)
        stop = asyncio.Event()
        first_run = RecordingPublisher(stop_after=15, stop=stop)

        finished = await run_replay(store_plan(), store, first_run, stop=stop)
        second_run = RecordingPublisher()
        status = ReplayStatus()
        await run_replay(store_plan(), store, second_run, status=status)

        assert not finished
        assert first_run.published + second_run.published == candles
        assert status.published == 40
        assert status.finished

    async def test_status_counts_what_an_earlier_run_published(self) -> None:
        candles = make_candles(count=10)
        store = InMemoryCandleStore(candles)
        store.save_cursor(BTC_5M, candles[3].open_time_ms)
        stop = asyncio.Event()
        stop.set()
        status = ReplayStatus()

        await run_replay(store_plan(), store, RecordingPublisher(), stop=stop, status=status)

        assert (status.published, status.total, status.finished) == (4, 10, False)
        assert status.last_open_time_ms == candles[3].open_time_ms
        assert status.source == "store"

    async def test_a_broker_outage_delays_the_candle_but_loses_nothing(self) -> None:
        candles = make_candles(count=3)
        store = InMemoryCandleStore(candles)
        publisher = RecordingPublisher(failures=1)
        await replay_runner.replay(
            store_plan(),
            speed=FAST,
            store=store,
            cursors=store,
            publisher=publisher,
            status=ReplayStatus(),
            stop=asyncio.Event(),
            publish_retry_seconds=0.01,
        )

        assert publisher.published == candles

    async def test_paces_candles_at_the_replay_speed(self) -> None:
        store = InMemoryCandleStore(make_candles(count=6))
        publisher = RecordingPublisher()
        speed = STEP / 1000 / 0.02  # one candle every 20 ms

        started = time.monotonic()
        await run_replay(store_plan(), store, publisher, speed=speed)
        elapsed = time.monotonic() - started

        assert len(publisher.published) == 6
        assert 0.1 <= elapsed < 1.0

    async def test_stop_during_a_pacing_wait_returns_promptly(self) -> None:
        store = InMemoryCandleStore(make_candles(count=5))
        publisher = RecordingPublisher()
        stop = asyncio.Event()
        task = asyncio.create_task(run_replay(store_plan(), store, publisher, stop=stop, speed=1.0))
        await asyncio.sleep(0.05)

        stop.set()
        finished = await asyncio.wait_for(task, timeout=1.0)

        assert not finished
        assert len(publisher.published) == 1
        assert store.load_cursor(BTC_5M) == publisher.published[0].open_time_ms


class CountingCursors:
    """The store's cursors, with every save recorded."""

    def __init__(self, store: InMemoryCandleStore) -> None:
        self._store = store
        self.saves: list[int] = []

    def load_cursor(self, key: MarketKey) -> int | None:
        return self._store.load_cursor(key)

    def save_cursor(self, key: MarketKey, open_time_ms: int) -> None:
        self.saves.append(open_time_ms)
        self._store.save_cursor(key, open_time_ms)


class TestCursorSaving:
    async def _run(
        self, candles: list, *, speed: float, monotonic: Callable[[], float]
    ) -> CountingCursors:
        store = InMemoryCandleStore(candles)
        cursors = CountingCursors(store)
        await replay_runner.replay(
            store_plan(),
            speed=speed,
            store=store,
            cursors=cursors,
            publisher=RecordingPublisher(),
            status=ReplayStatus(),
            stop=asyncio.Event(),
            monotonic=monotonic,
        )
        return cursors

    async def test_at_speed_max_the_cursor_is_saved_in_batches_and_when_the_replay_ends(
        self,
    ) -> None:
        candles = make_candles(count=250)

        cursors = await self._run(candles, speed=0, monotonic=lambda: 0.0)

        assert cursors.saves == [candles[index].open_time_ms for index in (99, 199, 249)]

    async def test_at_speed_max_a_slow_stretch_saves_the_cursor_within_its_interval(self) -> None:
        candles = make_candles(count=10)
        ticks = iter(range(1000))

        # Each reading of the clock is 0.3 s later: a candle's cursor waits at most a second.
        cursors = await self._run(candles, speed=0, monotonic=lambda: next(ticks) * 0.3)

        assert len(cursors.saves) >= 3
        assert cursors.saves[-1] == candles[-1].open_time_ms

    async def test_a_paced_replay_saves_each_candle_before_it_waits_for_the_next(self) -> None:
        candles = make_candles(count=5)
        speed = STEP / 1000 / 0.01  # one candle every 10 ms

        cursors = await self._run(candles, speed=speed, monotonic=time.monotonic)

        assert cursors.saves == [candle.open_time_ms for candle in candles]
