"""Replaying candles to a real NATS server, stopping, and resuming from the saved cursor."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.codec import candle_from_proto
from crypto_trader.common.model import Candle
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.marketdata import replay_runner
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.adapters.nats_publisher import NatsCandlePublisher
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
    candle_event_id,
)
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.testing import BTC_5M, make_candles

pytestmark = pytest.mark.integration

FAST = 1e9


class StopAfter:
    """Publish through the real publisher and ask the replay to stop after ``count`` candles."""

    def __init__(self, inner: NatsCandlePublisher, count: int, stop: asyncio.Event) -> None:
        self._inner = inner
        self._left = count
        self._stop = stop

    async def publish(self, candle: Candle) -> None:
        await self._inner.publish(candle)
        self._left -= 1
        if self._left == 0:
            self._stop.set()


async def read_stream(
    bus: NatsBus, root: str, expected: int, *, settle_seconds: float = 0.3
) -> list[tuple[market_data_pb2.CandleClosed, Delivery]]:
    """Consume the candle stream from its start until ``expected`` messages and a quiet spell."""
    received: list[tuple[market_data_pb2.CandleClosed, Delivery]] = []
    enough = asyncio.Event()

    async def collect(message: market_data_pb2.CandleClosed, delivery: Delivery) -> None:
        received.append((message, delivery))
        if len(received) >= expected:
            enough.set()

    stop = asyncio.Event()
    task = bus.consume(
        streams.candle_stream(root),
        durable="test-reader",
        filter_subject=subjects.all_candles(root),
        handler=collect,  # type: ignore[arg-type]
        accepted=[market_data_pb2.CandleClosed],
        stop=stop,
    )
    await asyncio.wait_for(enough.wait(), timeout=10)
    await asyncio.sleep(settle_seconds)  # anything beyond ``expected`` would show up now
    stop.set()
    await task
    return received


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlAlchemyCandleStore]:
    candle_store = migrate_store(f"sqlite:///{tmp_path / 'md.db'}")
    yield candle_store
    candle_store.dispose()


async def replay(
    store: SqlAlchemyCandleStore, publisher: object, status: ReplayStatus, stop: asyncio.Event
) -> bool:
    plan = ReplayPlan(SourceKind.FILE, ReplayWindow(BTC_5M, 0, None), synthetic=False)
    return await replay_runner.replay(
        plan,
        speed=FAST,
        store=store,
        cursors=store,
        publisher=publisher,  # type: ignore[arg-type]
        status=status,
        stop=stop,
    )


async def test_a_restarted_replay_resumes_without_gaps_or_duplicates(
    bus: NatsBus, store: SqlAlchemyCandleStore, run_root: str
) -> None:
    candles = make_candles(count=120)
    store.add_candles(candles)
    publisher = NatsCandlePublisher(bus, root=run_root, clock=LiveClock())

    stop = asyncio.Event()
    first_finished = await replay(store, StopAfter(publisher, 50, stop), ReplayStatus(), stop)
    assert not first_finished
    assert store.load_cursor(BTC_5M) == candles[49].open_time_ms
    # A crash between publishing and saving the cursor: the restart publishes two candles again.
    store.save_cursor(BTC_5M, candles[47].open_time_ms)
    status = ReplayStatus()
    second_finished = await replay(store, publisher, status, asyncio.Event())

    received = await read_stream(bus, run_root, expected=120)

    assert second_finished
    assert (status.published, status.total, status.finished) == (120, 120, True)
    open_times = [message.candle.open_time_ms for message, _ in received]
    assert open_times == [candle.open_time_ms for candle in candles]
    assert [candle_from_proto(message.candle) for message, _ in received] == candles


async def test_each_candle_event_carries_its_stable_id_as_message_id(
    bus: NatsBus, store: SqlAlchemyCandleStore, run_root: str
) -> None:
    candles = make_candles(count=3)
    store.add_candles(candles)
    publisher = NatsCandlePublisher(bus, root=run_root, clock=LiveClock())

    await replay(store, publisher, ReplayStatus(), asyncio.Event())
    received = await read_stream(bus, run_root, expected=3, settle_seconds=0.1)

    for (message, delivery), candle in zip(received, candles, strict=True):
        assert message.event_id == candle_event_id(candle) == delivery.msg_id
        assert delivery.subject == subjects.candles(run_root, "binance", "BTC/USDT", "5m")
        assert message.ts_event == candle.close_time_ms
        assert message.ts_init > 0
        assert message.candle.closed
        assert not message.candle.synthetic
