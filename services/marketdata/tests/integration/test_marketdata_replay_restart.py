"""Replay at speed max on a real NATS server, its task cancelled mid-way and started again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.model import Candle
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.marketdata import replay_runner
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.adapters.nats_publisher import NatsCandlePublisher
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
    candle_event_id,
)
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.replay_feed import CANDLE_CURSOR_EVERY
from crypto_trader.marketdata.testing import BTC_5M, make_candles

pytestmark = pytest.mark.integration

PLAN = ReplayPlan(SourceKind.STORE, ReplayWindow(BTC_5M, 0, None), synthetic=False)
CANDLES = 2500  # several pages of the store and many cursor batches


class CountingPublisher:
    """The real publisher, counting what each run sent; ``on_sent`` hears of each count."""

    def __init__(
        self, inner: NatsCandlePublisher, on_sent: Callable[[int], None] | None = None
    ) -> None:
        self._inner = inner
        self._on_sent = on_sent
        self.sent: list[Candle] = []
        self.dead = False

    async def publish(self, candle: Candle) -> None:
        if self.dead:
            await asyncio.Future()  # a dead process publishes nothing more
        await self._inner.publish(candle)
        self.sent.append(candle)
        if self._on_sent is not None:
            self._on_sent(len(self.sent))


class CrashableCursors:
    """The store's cursors; after ``crash()`` no save reaches the store, as when a process dies."""

    def __init__(self, store: SqlAlchemyCandleStore) -> None:
        self._store = store
        self.crashed = False

    def load_cursor(self, key: MarketKey) -> int | None:
        return self._store.load_cursor(key)

    def save_cursor(self, key: MarketKey, open_time_ms: int) -> None:
        if not self.crashed:
            self._store.save_cursor(key, open_time_ms)

    def crash(self) -> None:
        self.crashed = True


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlAlchemyCandleStore]:
    candle_store = migrate_store(f"sqlite:///{tmp_path / 'md.db'}")
    candle_store.add_candles(make_candles(count=CANDLES))
    yield candle_store
    candle_store.dispose()


def _replay(
    store: SqlAlchemyCandleStore,
    cursors: CrashableCursors | SqlAlchemyCandleStore,
    publisher: CountingPublisher,
    status: ReplayStatus,
) -> asyncio.Task[bool]:
    return asyncio.create_task(
        replay_runner.replay(
            PLAN,
            speed=0,
            store=store,
            cursors=cursors,
            publisher=publisher,
            status=status,
            stop=asyncio.Event(),
        )
    )


async def _cancel_after(task: asyncio.Task[bool], status: ReplayStatus, published: int) -> None:
    while status.published < published:
        assert not task.done(), "the replay ended before it could be cancelled"
        await asyncio.sleep(0.001)
    # Python 3.11's wait_for can swallow a cancel that lands as an ack arrives: cancel again then.
    for _ in range(100):
        task.cancel()
        done, _pending = await asyncio.wait({task}, timeout=0.05)
        if done:
            break
    with pytest.raises(asyncio.CancelledError):
        await task


async def _read_stream(bus: NatsBus, root: str) -> list[tuple[int, str | None]]:
    """Every candle the stream holds, in order: (open time, message id)."""
    received: list[tuple[int, str | None]] = []
    enough = asyncio.Event()

    async def collect(message: market_data_pb2.CandleClosed, delivery: Delivery) -> None:
        received.append((message.candle.open_time_ms, delivery.msg_id))
        if len(received) >= CANDLES:
            enough.set()

    stop = asyncio.Event()
    task = bus.consume(
        streams.candle_stream(root),
        durable="test-restart-reader",
        filter_subject=subjects.all_candles(root),
        handler=collect,  # type: ignore[arg-type]
        accepted=[market_data_pb2.CandleClosed],
        stop=stop,
        batch=500,
    )
    await asyncio.wait_for(enough.wait(), timeout=30)
    await asyncio.sleep(0.3)  # a duplicate beyond the last candle would show up now
    stop.set()
    await task
    return received


def _expected(candles: list[Candle]) -> list[tuple[int, str | None]]:
    return [(candle.open_time_ms, candle_event_id(candle)) for candle in candles]


async def test_a_cancelled_replay_saves_its_cursor_and_resumes_exactly_after_it(
    bus: NatsBus, store: SqlAlchemyCandleStore, run_root: str
) -> None:
    candles = make_candles(count=CANDLES)
    publisher = CountingPublisher(NatsCandlePublisher(bus, root=run_root, clock=LiveClock()))
    first = ReplayStatus()

    await _cancel_after(_replay(store, store, publisher, first), first, 1234)
    cursor = store.load_cursor(BTC_5M)
    sent_first = len(publisher.sent)
    second = ReplayStatus()
    finished = await _replay(store, store, publisher, second)
    received = await _read_stream(bus, run_root)

    assert finished
    # Cancelling still saves the cursor of the last acknowledged candle: nothing is repeated.
    assert cursor == publisher.sent[sent_first - 1].open_time_ms
    assert publisher.sent == candles
    assert received == _expected(candles)
    assert (second.published, second.finished) == (CANDLES, True)


async def test_a_crashed_replay_repeats_a_bounded_few_candles_the_stream_deduplicates(
    bus: NatsBus, store: SqlAlchemyCandleStore, run_root: str
) -> None:
    candles = make_candles(count=CANDLES)
    cursors = CrashableCursors(store)

    def crash_at(sent: int) -> None:
        # The process dies after this candle: nothing more goes out, no cursor reaches the store.
        if sent == 1234:
            first_run.dead = True
            cursors.crash()

    publisher = NatsCandlePublisher(bus, root=run_root, clock=LiveClock())
    first_run = CountingPublisher(publisher, crash_at)
    first = ReplayStatus()
    await _cancel_after(_replay(store, cursors, first_run, first), first, 1234)
    saved = store.load_cursor(BTC_5M)
    second_run = CountingPublisher(publisher)
    finished = await _replay(store, store, second_run, ReplayStatus())
    received = await _read_stream(bus, run_root)

    assert finished
    assert len(first_run.sent) == 1234
    repeats = sum(1 for candle in first_run.sent if saved is None or candle.open_time_ms > saved)
    assert 0 <= repeats <= CANDLE_CURSOR_EVERY
    # The restart sends the candles after the saved cursor again, under the same ids, and goes on.
    assert second_run.sent[:repeats] == first_run.sent[len(first_run.sent) - repeats :]
    assert first_run.sent + second_run.sent[repeats:] == candles
    # JetStream drops the repeats: each candle reaches a consumer once, in order.
    assert received == _expected(candles)
