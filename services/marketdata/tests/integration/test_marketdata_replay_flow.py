"""Unpaced replay on a real NATS server: held back by a slow durable consumer; trades on NATS."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from nats.js import api

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.clock import LiveClock
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.marketdata import replay_runner
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.adapters.consumer_lag import JetStreamConsumerLag
from crypto_trader.marketdata.adapters.nats_publisher import NatsCandlePublisher
from crypto_trader.marketdata.adapters.trade_publisher import NatsTradePublisher
from crypto_trader.marketdata.adapters.trade_store import SqlAlchemyTradeStore
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
)
from crypto_trader.marketdata.domain.trade import trade_event_id
from crypto_trader.marketdata.importer import migrate_database
from crypto_trader.marketdata.testing import BTC_5M, START_MS, make_candles, make_trades

pytestmark = pytest.mark.integration

PLAN = ReplayPlan(SourceKind.STORE, ReplayWindow(BTC_5M, 0, None), synthetic=False)
MAX_LAG = 40
# Lag readings see acknowledgements the server has processed; the consumer acks synchronously, so
# the bound holds exactly. The margin only absorbs a reading racing an acknowledgement.
MARGIN = 2


class CountingLag:
    """The real lag reading, counted."""

    def __init__(self, inner: JetStreamConsumerLag) -> None:
        self._inner = inner
        self.readings: list[int] = []

    async def lag(self) -> int:
        lag = await self._inner.lag()
        self.readings.append(lag)
        return lag


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SqlAlchemyCandleStore, SqlAlchemyTradeStore]]:
    engine = migrate_database(f"sqlite:///{tmp_path / 'md.db'}")
    yield SqlAlchemyCandleStore(engine), SqlAlchemyTradeStore(engine)
    engine.dispose()


def _lag(bus: NatsBus, root: str, *, stale_seconds: float = 30.0) -> CountingLag:
    stream = streams.candle_stream(root).name
    return CountingLag(JetStreamConsumerLag(bus, stream=stream, stale_seconds=stale_seconds))


async def _replay(
    bus: NatsBus,
    root: str,
    store: SqlAlchemyCandleStore,
    status: ReplayStatus,
    *,
    flow: replay_runner.FlowControl | None = None,
    trades: replay_runner.TradeReplay | None = None,
) -> bool:
    return await replay_runner.replay(
        PLAN,
        speed=0,
        store=store,
        cursors=store,
        publisher=NatsCandlePublisher(bus, root=root, clock=LiveClock()),
        status=status,
        stop=asyncio.Event(),
        trades=trades,
        flow=flow,
    )


async def test_a_slow_durable_consumer_is_never_flooded_and_gets_every_candle_in_order(
    bus: NatsBus, stores: tuple[SqlAlchemyCandleStore, SqlAlchemyTradeStore], run_root: str
) -> None:
    store = stores[0]
    candles = make_candles(count=400)
    store.add_candles(candles)
    status = ReplayStatus()
    received: list[int] = []
    leads: list[int] = []
    done = asyncio.Event()

    async def slow(message: market_data_pb2.CandleClosed, _delivery: Delivery) -> None:
        # Everything published and not yet acknowledged, this candle included.
        leads.append(status.published - len(received))
        received.append(message.candle.open_time_ms)
        await asyncio.sleep(0.002)
        if len(received) == len(candles):
            done.set()

    stop_consumer = asyncio.Event()
    consumer = bus.consume(
        streams.candle_stream(run_root),
        durable="slow-strategy",
        filter_subject=subjects.all_candles(run_root),
        handler=slow,  # type: ignore[arg-type]
        accepted=[market_data_pb2.CandleClosed],
        stop=stop_consumer,
        batch=10,
    )
    lag = _lag(bus, run_root)
    flow = replay_runner.FlowControl(lag, MAX_LAG, poll_seconds=0.005)

    finished = await _replay(bus, run_root, store, status, flow=flow)
    await asyncio.wait_for(done.wait(), timeout=30)
    stop_consumer.set()
    await consumer

    assert finished
    assert received == [candle.open_time_ms for candle in candles]
    assert max(leads) <= MAX_LAG + MARGIN
    assert flow.pauses > 0  # the consumer was slow enough to hold the replay back
    assert max(lag.readings) <= MAX_LAG + MARGIN


async def test_without_consumer_lag_the_replay_never_waits(
    bus: NatsBus, stores: tuple[SqlAlchemyCandleStore, SqlAlchemyTradeStore], run_root: str
) -> None:
    store = stores[0]
    store.add_candles(make_candles(count=300))
    jsm = bus.client.jsm()
    stream = streams.candle_stream(run_root).name
    # A durable consumer of a service that stopped long ago: behind, idle, and ignored.
    await jsm.add_consumer(
        stream, api.ConsumerConfig(durable_name="gone", ack_policy=api.AckPolicy.EXPLICIT)
    )
    await asyncio.sleep(0.3)
    lag = _lag(bus, run_root, stale_seconds=0.2)
    flow = replay_runner.FlowControl(lag, 100, poll_seconds=0.005)
    status = ReplayStatus()

    finished = await _replay(bus, run_root, store, status, flow=flow)

    assert finished and status.published == 300
    assert flow.pauses == 0
    assert lag.readings == [0, 0, 0]  # one reading per 100 candles
    info = await jsm.consumer_info(stream, "gone")
    assert info.num_pending == 300


async def test_stored_trades_go_out_as_trade_events_on_the_trades_subject(
    bus: NatsBus, stores: tuple[SqlAlchemyCandleStore, SqlAlchemyTradeStore], run_root: str
) -> None:
    store, trade_store = stores
    store.add_candles(make_candles(count=3))
    trades = make_trades(times_ms=[START_MS + 1, START_MS + 2, START_MS + BTC_5M.timeframe_ms])
    trade_store.add_trades(trades)
    received: list[market_data_pb2.TradeTicked] = []

    async def collect(message: market_data_pb2.TradeTicked, _subject: str) -> None:
        received.append(message)

    subscription = await bus.subscribe(
        subjects.trades(run_root, "binance", "BTC/USDT"), collect, [market_data_pb2.TradeTicked]
    )
    publisher = NatsTradePublisher(bus, root=run_root, clock=LiveClock())
    status = ReplayStatus()

    await _replay(
        bus, run_root, store, status, trades=replay_runner.TradeReplay(trade_store, publisher)
    )
    await bus.client.flush()
    for _ in range(100):
        if len(received) == len(trades):
            break
        await asyncio.sleep(0.01)
    await subscription.unsubscribe()

    assert [message.trade_id for message in received] == ["1000", "1001", "1002"]
    first = received[0]
    assert (first.event_id, first.ts_event) == (trade_event_id(trades[0]), START_MS + 1)
    assert (first.exchange, first.symbol, first.price, first.quantity) == (
        "binance",
        "BTC/USDT",
        "100.5",
        "0.25",
    )
    assert [message.buyer_is_maker for message in received] == [False, True, False]
    assert trade_store.load_trade_cursor("binance", "BTC/USDT") == trades[-1].order
    assert status.trades_published == 3
