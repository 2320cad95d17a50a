"""Unpaced replay: full speed while consumers keep up, never more than the bound ahead of one."""

from __future__ import annotations

import asyncio

import pytest

from crypto_trader.common.errors import ConfigurationError, RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.marketdata import replay_runner
from crypto_trader.marketdata.domain.flow_control import LagBudget
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
)
from crypto_trader.marketdata.testing import (
    BTC_5M,
    FakeConsumerLag,
    InMemoryCandleStore,
    RecordingPublisher,
    make_candles,
)

PLAN = ReplayPlan(SourceKind.STORE, ReplayWindow(BTC_5M, 0, None), synthetic=False)


class LeadRecorder(RecordingPublisher):
    """Record, at each publish, how far the replay leads the fake consumer."""

    def __init__(self) -> None:
        super().__init__()
        self.consumer: FakeConsumerLag | None = None
        self.leads: list[int] = []

    async def publish(self, candle: Candle) -> None:
        await super().publish(candle)
        read = 0 if self.consumer is None else self.consumer.read
        self.leads.append(len(self.published) - read)


async def _replay(
    store: InMemoryCandleStore,
    publisher: RecordingPublisher,
    flow: replay_runner.FlowControl,
    stop: asyncio.Event | None = None,
) -> bool:
    return await replay_runner.replay(
        PLAN,
        speed=0,
        store=store,
        cursors=store,
        publisher=publisher,
        status=ReplayStatus(),
        stop=stop or asyncio.Event(),
        flow=flow,
    )


class TestLagBudget:
    def test_allows_the_bound_less_the_lag_before_the_next_reading(self) -> None:
        budget = LagBudget(10)
        assert budget.exhausted
        assert budget.refill(7)
        for _ in range(3):
            assert not budget.exhausted
            budget.spend()
        assert budget.exhausted

    def test_a_lag_at_the_bound_allows_nothing(self) -> None:
        assert not LagBudget(10).refill(10)

    def test_the_bound_must_be_positive(self) -> None:
        with pytest.raises(ConfigurationError):
            LagBudget(0)


class TestFlowControl:
    async def test_a_slow_consumer_is_never_led_by_more_than_the_bound(self) -> None:
        candles = make_candles(count=500)
        store = InMemoryCandleStore(candles)
        publisher = LeadRecorder()
        consumer = FakeConsumerLag(publisher, reads_per_check=3)
        publisher.consumer = consumer
        flow = replay_runner.FlowControl(consumer, max_lag=20, poll_seconds=0)

        finished = await _replay(store, publisher, flow)

        assert finished
        assert publisher.published == candles
        assert max(publisher.leads) == 20
        # Held to the consumer's pace: three candles per reading once the bound is reached.
        assert consumer.checks >= (500 - 20) // 3

    async def test_a_consumer_that_keeps_up_never_holds_the_replay(self) -> None:
        store = InMemoryCandleStore(make_candles(count=500))
        publisher = LeadRecorder()
        consumer = FakeConsumerLag(publisher, reads_per_check=10_000)
        flow = replay_runner.FlowControl(consumer, max_lag=100, poll_seconds=0)

        await _replay(store, publisher, flow)

        assert len(publisher.published) == 500
        assert flow.pauses == 0
        assert consumer.checks == 5  # one reading per 100 candles

    async def test_an_unknown_lag_holds_the_replay_until_it_is_known(self) -> None:
        class Flaky(FakeConsumerLag):
            failures = 2

            async def lag(self) -> int:
                if self.failures:
                    self.failures -= 1
                    raise RetryableError("broker away")
                return await super().lag()

        store = InMemoryCandleStore(make_candles(count=5))
        publisher = RecordingPublisher()
        flow = replay_runner.FlowControl(Flaky(publisher, reads_per_check=5), 10, poll_seconds=0)

        assert await _replay(store, publisher, flow)
        assert len(publisher.published) == 5
        assert flow.pauses == 1

    async def test_stop_while_waiting_for_a_consumer_returns_promptly(self) -> None:
        store = InMemoryCandleStore(make_candles(count=50))
        publisher = RecordingPublisher()
        stuck = FakeConsumerLag(publisher, reads_per_check=0)
        flow = replay_runner.FlowControl(stuck, max_lag=10, poll_seconds=0.01)
        stop = asyncio.Event()

        task = asyncio.create_task(_replay(store, publisher, flow, stop))
        await asyncio.sleep(0.1)
        stop.set()

        assert not await asyncio.wait_for(task, timeout=1.0)
        assert len(publisher.published) == 10
        assert store.load_cursor(BTC_5M) == publisher.published[-1].open_time_ms
