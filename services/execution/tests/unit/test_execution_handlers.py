"""Execution handlers with fakes: one order per intent, one fill per order, events relayed once."""

from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Side
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.execution.domain.order import OrderStatus, OrderType, TradingMode
from crypto_trader.execution.handlers import ExecutionHandlers, OutboxRelay
from crypto_trader.execution.testing import (
    FIVE_MINUTES_MS,
    FakeMarketHistory,
    FakeOrderStore,
    RecordingPublisher,
    candle,
    place_order,
)

SIGNAL_MS = 1_700_000_100_000
NEXT_MS = SIGNAL_MS + FIVE_MINUTES_MS


class Harness:
    def __init__(self, *, failures: int = 0, store: FakeOrderStore | None = None) -> None:
        self.clock = FakeClock(1_800_000_000_000)
        self.store = store or FakeOrderStore()
        self.publisher = RecordingPublisher(failures=failures)
        self.history = FakeMarketHistory()
        self.relay = OutboxRelay(self.store, self.publisher, self.clock)
        self.handlers = ExecutionHandlers(
            store=self.store,
            history=self.history,
            relay=self.relay,
            clock=self.clock,
            fee_rate=Decimal("0.001"),
        )

    def published(self) -> list[object]:
        return self.publisher.decoded()

    def fills(self) -> list[orders_pb2.OrderFilled]:
        return [m for m in self.published() if isinstance(m, orders_pb2.OrderFilled)]

    def statuses(self) -> list[int]:
        return [m.order.status for m in self.published() if isinstance(m, orders_pb2.OrderUpdated)]


@pytest.fixture
def harness() -> Harness:
    return Harness()


class TestOnIntent:
    async def test_accepts_the_order_and_waits_when_no_later_candle_is_stored(
        self, harness: Harness
    ) -> None:
        order = await harness.handlers.on_intent(place_order(not_before_ms=SIGNAL_MS))

        assert order.status is OrderStatus.ACCEPTED
        assert order.venue_order_id == f"paper-{order.client_order_id}"
        assert harness.statuses() == [orders_pb2.ORDER_STATUS_ACCEPTED]
        assert harness.history.questions == [("binance", "BTC/USDT", "5m", SIGNAL_MS)]

    async def test_fills_at_once_when_the_next_candle_is_already_stored(
        self, harness: Harness
    ) -> None:
        harness.history.candles = [candle(SIGNAL_MS, "90"), candle(NEXT_MS, "100.5")]

        order = await harness.handlers.on_intent(place_order(quantity="2", not_before_ms=SIGNAL_MS))

        assert order.status is OrderStatus.FILLED
        (fill,) = harness.fills()
        assert (fill.quantity, fill.price, fill.fee) == ("2", "100.5", "0.201")
        assert fill.trade_id == f"paper-{order.client_order_id}-1"
        assert fill.ts_event == NEXT_MS
        assert harness.statuses() == [
            orders_pb2.ORDER_STATUS_ACCEPTED,
            orders_pb2.ORDER_STATUS_FILLED,
        ]

    async def test_the_same_intent_twice_makes_one_order_and_one_fill(
        self, harness: Harness
    ) -> None:
        harness.history.candles = [candle(NEXT_MS)]
        command = place_order(not_before_ms=SIGNAL_MS)

        await harness.handlers.on_intent(command)
        again = await harness.handlers.on_intent(command)

        assert again.status is OrderStatus.FILLED
        assert len(harness.store.orders) == 1
        assert len(harness.fills()) == 1
        assert len(harness.publisher.published) == 3

    async def test_a_limit_order_is_rejected_with_a_reason(self, harness: Harness) -> None:
        order = await harness.handlers.on_intent(place_order(order_type=OrderType.LIMIT))

        assert order.status is OrderStatus.REJECTED
        assert "market" in order.reason
        assert harness.statuses() == [orders_pb2.ORDER_STATUS_REJECTED]
        assert harness.history.questions == []

    async def test_a_live_order_is_rejected_by_the_paper_exchange(self, harness: Harness) -> None:
        order = await harness.handlers.on_intent(place_order(mode=TradingMode.LIVE))

        assert order.status is OrderStatus.REJECTED

    async def test_history_outage_keeps_the_order_and_a_redelivery_fills_it(
        self, harness: Harness
    ) -> None:
        harness.history.candles = [candle(NEXT_MS)]
        harness.history.unavailable = True
        command = place_order(not_before_ms=SIGNAL_MS)

        with pytest.raises(RetryableError):
            await harness.handlers.on_intent(command)
        assert harness.statuses() == [orders_pb2.ORDER_STATUS_ACCEPTED]

        harness.history.unavailable = False
        order = await harness.handlers.on_intent(command)

        assert order.status is OrderStatus.FILLED
        assert len(harness.fills()) == 1


class TestOnCandle:
    async def test_fills_an_open_order_at_the_open_of_the_next_candle(
        self, harness: Harness
    ) -> None:
        await harness.handlers.on_intent(place_order(quantity="0.5", not_before_ms=SIGNAL_MS))

        filled = await harness.handlers.on_candle(candle(NEXT_MS, "200"))

        assert [order.status for order in filled] == [OrderStatus.FILLED]
        (fill,) = harness.fills()
        assert (fill.price, fill.fee, fill.fee_currency) == ("200", "0.1", "USDT")

    async def test_the_signal_candle_itself_does_not_fill(self, harness: Harness) -> None:
        await harness.handlers.on_intent(place_order(not_before_ms=SIGNAL_MS))

        assert await harness.handlers.on_candle(candle(SIGNAL_MS)) == []
        assert harness.fills() == []

    async def test_a_redelivered_candle_does_not_fill_twice(self, harness: Harness) -> None:
        await harness.handlers.on_intent(place_order(not_before_ms=SIGNAL_MS))

        await harness.handlers.on_candle(candle(NEXT_MS))
        await harness.handlers.on_candle(candle(NEXT_MS))
        await harness.handlers.on_candle(candle(NEXT_MS + FIVE_MINUTES_MS))

        assert len(harness.fills()) == 1

    async def test_fills_every_matching_order_and_only_those(self, harness: Harness) -> None:
        await harness.handlers.on_intent(place_order("a", not_before_ms=SIGNAL_MS))
        await harness.handlers.on_intent(
            place_order("b", side=Side.SELL, not_before_ms=SIGNAL_MS - FIVE_MINUTES_MS)
        )
        await harness.handlers.on_intent(place_order("c", not_before_ms=NEXT_MS))
        await harness.handlers.on_intent(place_order("d", symbol="ETH/USDT", not_before_ms=0))

        filled = await harness.handlers.on_candle(candle(NEXT_MS))

        assert sorted(order.client_order_id for order in filled) == sorted(
            [place_order("a").client_order_id, place_order("b").client_order_id]
        )

    async def test_a_late_order_fills_on_the_candle_after_its_signal_not_on_the_current_one(
        self, harness: Harness
    ) -> None:
        # The intent reached execution after the stream had moved two candles on: the fill
        # price is still the open of the candle right after the signal.
        await harness.handlers.on_intent(place_order(not_before_ms=SIGNAL_MS))
        harness.history.candles = [candle(NEXT_MS, "200"), candle(NEXT_MS + FIVE_MINUTES_MS, "210")]

        filled = await harness.handlers.on_candle(candle(NEXT_MS + FIVE_MINUTES_MS, "210"))

        assert len(filled) == 1
        assert [fill.price for fill in harness.fills()] == ["200"]

    async def test_a_forming_candle_fills_nothing(self, harness: Harness) -> None:
        await harness.handlers.on_intent(place_order(not_before_ms=SIGNAL_MS))

        assert await harness.handlers.on_candle(candle(NEXT_MS, closed=False)) == []


class TestOutboxRelay:
    async def test_a_failed_publish_leaves_events_for_the_next_pass_in_commit_order(self) -> None:
        # Both passes inside the handler (after the order, after the fill) fail.
        harness = Harness(failures=2)
        harness.history.candles = [candle(NEXT_MS)]

        await harness.handlers.on_intent(place_order(not_before_ms=SIGNAL_MS))
        assert harness.store.sent == {}
        published = await harness.relay.publish_pending()

        assert published == 3
        assert harness.publisher.event_ids == [message.event_id for message in harness.store.outbox]
        assert await harness.relay.publish_pending() == 0

    async def test_publish_pending_quietly_swallows_bus_errors(self) -> None:
        harness = Harness(failures=5)

        await harness.handlers.on_intent(place_order())

        assert await harness.relay.publish_pending_quietly() == 0
        assert len(harness.store.outbox) == 1

    async def test_event_ids_are_the_same_when_the_same_work_is_redone(self) -> None:
        runs = []
        for _ in range(2):
            harness = Harness()
            harness.history.candles = [candle(NEXT_MS)]
            await harness.handlers.on_intent(place_order(not_before_ms=SIGNAL_MS))
            harness.clock.advance(12_345)
            runs.append(harness.publisher.event_ids)

        assert runs[0] == runs[1]
        assert len(set(runs[0])) == 3


class RacingStore(FakeOrderStore):
    """Lets another writer commit the same fill just before our first write."""

    raced = False

    async def save_fill(self, before, after, fill, events):  # type: ignore[no-untyped-def]
        if not self.raced:
            self.raced = True
            await super().save_fill(before, after, fill, events)
        return await super().save_fill(before, after, fill, events)


class TestConcurrentWriters:
    async def test_a_fill_racing_another_writer_is_booked_once(self) -> None:
        harness = Harness(store=RacingStore())
        await harness.handlers.on_intent(place_order(not_before_ms=SIGNAL_MS))

        filled = await harness.handlers.on_candle(candle(NEXT_MS))

        assert filled == []  # the other writer filled it
        (order,) = harness.store.orders.values()
        assert order.status is OrderStatus.FILLED
        assert len(harness.store.fills) == 1
        # The winner's events are in the outbox once; whoever relays next publishes them.
        await harness.relay.publish_pending()
        assert len(harness.fills()) == 1
        assert harness.statuses().count(orders_pb2.ORDER_STATUS_FILLED) == 1
