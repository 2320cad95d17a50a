"""The execution service in-process on real NATS and a real database: one order, one fill, once."""

from decimal import Decimal

import grpc
import pytest

from crypto_trader.common import streams
from crypto_trader.common.clock import FakeClock
from crypto_trader.common.database import make_engine, migrate
from crypto_trader.common.errors import RetryableError
from crypto_trader.contracts.execution.v1 import execution_service_pb2, orders_pb2
from crypto_trader.execution.adapters.publisher import NatsEventPublisher
from crypto_trader.execution.adapters.repository import SqlAlchemyOrderStore
from crypto_trader.execution.app import MIGRATIONS_DIR, VERSION_TABLE
from crypto_trader.execution.handlers import ExecutionHandlers, OutboxRelay
from crypto_trader.execution.ports import EventPublisher, OutboxMessage
from crypto_trader.execution.testing import (
    FIVE_MINUTES_MS,
    FakeMarketHistory,
    Platform,
    RecordingPublisher,
    approved_intent,
    candle,
    eventually,
    place_order,
)

pytestmark = pytest.mark.integration

SIGNAL_MS = 1_700_000_100_000
NEXT_MS = SIGNAL_MS + FIVE_MINUTES_MS


def fills(events: list[object]) -> list[orders_pb2.OrderFilled]:
    return [event for event in events if isinstance(event, orders_pb2.OrderFilled)]


def statuses(events: list[object]) -> list[int]:
    return [event.order.status for event in events if isinstance(event, orders_pb2.OrderUpdated)]


async def has_events(platform: Platform, count: int) -> bool:
    return len(await platform.execution_events()) >= count


class PublishThenCrash:
    """Publish for real, then die before the relay can mark the row sent."""

    def __init__(self, inner: EventPublisher) -> None:
        self._inner = inner

    async def publish(self, message: OutboxMessage) -> None:
        await self._inner.publish(message)
        raise RetryableError("process killed after publishing (simulated)")


async def run_until_crash(platform: Platform, publisher: EventPublisher) -> SqlAlchemyOrderStore:
    """Place and fill an order the way the service does, with a publisher that never completes."""
    url = platform.settings.infra.database_url
    assert url is not None
    # As left by an earlier run of the service.
    await platform.bus.ensure_stream(streams.execution_event_stream(platform.root))
    engine = make_engine(url)
    migrate(engine, MIGRATIONS_DIR, version_table=VERSION_TABLE)
    store = SqlAlchemyOrderStore(engine)
    clock = FakeClock(1_800_000_000_000)
    handlers = ExecutionHandlers(
        store=store,
        history=FakeMarketHistory([candle(NEXT_MS, "100")]),
        relay=OutboxRelay(store, publisher, clock),
        clock=clock,
        fee_rate=Decimal("0.001"),
    )
    order = await handlers.on_intent(place_order("crash", not_before_ms=SIGNAL_MS))
    assert order.status.value == "filled"
    return store


class TestTradeFlow:
    async def test_fills_once_at_the_next_candle_open_with_the_taker_fee(
        self, platform: Platform
    ) -> None:
        message = approved_intent("flow", quantity="0.03321", not_before_ms=SIGNAL_MS)
        async with platform.running() as client:
            await platform.close_candle(candle(SIGNAL_MS, "100"))
            await platform.publish_intent(message, msg_id=message.event_id)
            await eventually(lambda: has_events(platform, 1))
            await platform.close_candle(candle(NEXT_MS, "30111.45"))
            await platform.close_candle(candle(NEXT_MS + FIVE_MINUTES_MS, "99999"))
            await eventually(lambda: has_events(platform, 3))
            await eventually(platform.drained)

            events = await platform.execution_events()
            orders = await client.ListOrders(execution_service_pb2.ListOrdersRequest())
            listed_fills = await client.ListFills(execution_service_pb2.ListFillsRequest(limit=5))
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await client.GetOrder(execution_service_pb2.GetOrderRequest(client_order_id="nope"))

        assert statuses(events) == [
            orders_pb2.ORDER_STATUS_ACCEPTED,
            orders_pb2.ORDER_STATUS_FILLED,
        ]
        (fill,) = fills(events)
        assert (fill.price, fill.quantity, fill.fee, fill.fee_currency) == (
            "30111.45",
            "0.03321",
            "1.0000012545",
            "USDT",
        )
        assert (fill.exchange, fill.account, fill.symbol) == ("binance", "paper", "BTC/USDT")
        assert fill.trade_id == f"paper-{message.client_order_id}-1"
        assert fill.ts_event == NEXT_MS
        (order,) = orders.orders
        assert order.status == orders_pb2.ORDER_STATUS_FILLED
        assert (order.filled_quantity, order.average_price) == ("0.03321", "30111.45")
        assert list(listed_fills.fills) == [fill]
        assert missing.value.code() == grpc.StatusCode.NOT_FOUND

    async def test_the_same_intent_again_and_after_a_restart_makes_one_order_and_one_fill(
        self, platform: Platform
    ) -> None:
        message = approved_intent("twice", quantity="0.5", not_before_ms=SIGNAL_MS)
        # marketdata already stores the next candle: the order fills as soon as it is placed.
        platform.marketdata.candles.append(candle(NEXT_MS, "200"))

        async with platform.running():
            await platform.publish_intent(message, msg_id=message.event_id)
            await platform.publish_intent(message, msg_id=message.event_id)
            # A copy outside the stream's duplicate window: only execution's own key stops it.
            await platform.publish_intent(message, msg_id=message.event_id + "-late")
            await eventually(lambda: has_events(platform, 3))
            await eventually(platform.drained)
        async with platform.running() as client:
            await platform.publish_intent(message, msg_id=message.event_id + "-after-restart")
            await eventually(platform.drained)
            orders = await client.ListOrders(execution_service_pb2.ListOrdersRequest())

        events = await platform.execution_events()
        assert len(orders.orders) == 1
        assert statuses(events) == [
            orders_pb2.ORDER_STATUS_ACCEPTED,
            orders_pb2.ORDER_STATUS_FILLED,
        ]
        (fill,) = fills(events)
        assert (fill.price, fill.fee) == ("200", "0.1")


class TestCrashRecovery:
    async def test_a_fill_committed_but_never_published_is_relayed_once_on_restart(
        self, platform: Platform
    ) -> None:
        store = await run_until_crash(platform, RecordingPublisher(failures=1_000))
        assert len(await store.unsent(100)) == 3
        assert await platform.execution_events() == []

        async with platform.running():
            await eventually(lambda: has_events(platform, 3))
        async with platform.running():
            await eventually(platform.drained)

        events = await platform.execution_events()
        assert statuses(events) == [
            orders_pb2.ORDER_STATUS_ACCEPTED,
            orders_pb2.ORDER_STATUS_FILLED,
        ]
        assert len(fills(events)) == 1
        assert await store.unsent(100) == []

    async def test_events_published_but_not_marked_sent_are_not_seen_twice(
        self, platform: Platform
    ) -> None:
        crashing = PublishThenCrash(NatsEventPublisher(platform.bus, root=platform.root))
        store = await run_until_crash(platform, crashing)
        # Each relay pass got the first event out and died before marking it sent.
        assert len(await platform.execution_events()) == 1
        assert len(await store.unsent(100)) == 3

        async with platform.running():
            await eventually(lambda: has_events(platform, 3))
            await eventually(lambda: _all_sent(store))

        events = await platform.execution_events()
        assert len({event.event_id for event in events}) == len(events) == 3
        assert len(fills(events)) == 1


async def _all_sent(store: SqlAlchemyOrderStore) -> bool:
    return await store.unsent(1) == []
