import asyncio

import pytest

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.errors import InvalidMessage
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.system.v1 import heartbeat_pb2

pytestmark = pytest.mark.integration


def _candle_event(open_time_ms: int) -> market_data_pb2.CandleClosed:
    return market_data_pb2.CandleClosed(
        event_id=f"c{open_time_ms}",
        candle=market_data_pb2.Candle(
            exchange="binance",
            symbol="BTC/USDT",
            timeframe="1m",
            open_time_ms=open_time_ms,
            close="1",
        ),
    )


async def _until(predicate, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@pytest.fixture
async def bus(nats_url):
    bus = await NatsBus.connect(nats_url, name="test")
    yield bus
    await bus.close()


class TestDurablePublishing:
    async def test_same_message_id_is_stored_once(self, bus, run_root):
        spec = streams.candle_stream(run_root)
        await bus.ensure_stream(spec)
        subject = subjects.candles(run_root, "binance", "BTC/USDT", "1m")

        first = await bus.publish_durable(subject, _candle_event(1), msg_id="candle-1")
        second = await bus.publish_durable(subject, _candle_event(1), msg_id="candle-1")

        assert (first, second) == (False, True)
        info = await bus.client.jetstream().stream_info(spec.name)
        assert info.state.messages == 1

    async def test_ensure_stream_is_idempotent(self, bus, run_root):
        spec = streams.candle_stream(run_root)
        await bus.ensure_stream(spec)
        await bus.ensure_stream(spec)


class TestDurableConsumer:
    async def test_messages_arrive_in_order_and_are_acked_once(self, bus, run_root):
        spec = streams.candle_stream(run_root)
        await bus.ensure_stream(spec)
        subject = subjects.candles(run_root, "binance", "BTC/USDT", "1m")
        for t in range(20):
            await bus.publish_durable(subject, _candle_event(t), msg_id=f"m{t}")
        seen: list[int] = []

        async def handler(message, delivery):
            seen.append(message.candle.open_time_ms)

        stop = asyncio.Event()
        task = bus.consume(
            spec, durable="order", filter_subject=subject, handler=handler,
            accepted=[market_data_pb2.CandleClosed], stop=stop,
        )  # fmt: skip
        await _until(lambda: len(seen) == 20)
        stop.set()
        await task
        assert seen == list(range(20))
        info = await bus.client.jetstream().consumer_info(spec.name, "order")
        assert info.num_ack_pending == 0 and info.num_pending == 0

    async def test_failed_handler_is_retried_and_invalid_messages_are_dropped(self, bus, run_root):
        spec = streams.candle_stream(run_root)
        await bus.ensure_stream(spec)
        subject = subjects.candles(run_root, "binance", "BTC/USDT", "1m")
        # A message of the wrong type on the subject is a poison message: terminated, never retried.
        await bus.client.jetstream().publish(
            subject, heartbeat_pb2.HeartbeatSent().SerializeToString(),
            headers={"ct-type": "crypto_trader.contracts.system.v1.HeartbeatSent"},
        )  # fmt: skip
        await bus.publish_durable(subject, _candle_event(7), msg_id="m7")
        deliveries: list[int] = []

        async def flaky(message, delivery):
            deliveries.append(delivery.num_delivered)
            if delivery.num_delivered == 1:
                raise ConnectionError("database briefly away")

        stop = asyncio.Event()
        task = bus.consume(
            spec, durable="flaky", filter_subject=subject, handler=flaky,
            accepted=[market_data_pb2.CandleClosed], stop=stop,
        )  # fmt: skip
        await _until(lambda: deliveries == [1, 2])
        await asyncio.sleep(0.5)
        stop.set()
        await task
        assert deliveries == [1, 2]

    async def test_replicas_sharing_a_durable_split_the_work(self, nats_url, run_root):
        buses = [await NatsBus.connect(nats_url, name=f"replica{i}") for i in range(2)]
        spec = streams.candle_stream(run_root)
        await buses[0].ensure_stream(spec)
        subject = subjects.candles(run_root, "binance", "BTC/USDT", "1m")
        received: dict[int, list[int]] = {0: [], 1: []}
        stop = asyncio.Event()

        def handler_for(replica: int):
            async def handler(message, delivery):
                received[replica].append(message.candle.open_time_ms)
                await asyncio.sleep(0.01)

            return handler

        tasks = [
            bus.consume(
                spec, durable="shared", filter_subject=subject, handler=handler_for(i),
                accepted=[market_data_pb2.CandleClosed], stop=stop, batch=5,
            )
            for i, bus in enumerate(buses)
        ]  # fmt: skip
        for t in range(200):
            await buses[0].publish_durable(subject, _candle_event(t), msg_id=f"s{t}")
        await _until(lambda: len(received[0]) + len(received[1]) == 200)
        stop.set()
        await asyncio.gather(*tasks)
        for bus in buses:
            await bus.close()
        assert sorted(received[0] + received[1]) == list(range(200))
        assert received[0] and received[1]


class TestCoreSubscription:
    async def test_undecodable_messages_are_dropped_and_the_rest_delivered(self, bus, run_root):
        subject = subjects.heartbeat(run_root, "risk", "a")
        got: list[str] = []

        async def handler(message, subject_):
            got.append(message.service)

        await bus.subscribe(subject, handler, [heartbeat_pb2.HeartbeatSent])
        await bus.client.publish(subject, b"\x01garbage", headers={"ct-type": "nope.Type"})
        await bus.publish(subject, heartbeat_pb2.HeartbeatSent(service="risk"))
        await _until(lambda: got == ["risk"])


def test_decode_refuses_a_message_without_type_header():
    from crypto_trader.common.bus import decode

    with pytest.raises(InvalidMessage):
        decode(b"", {}, [heartbeat_pb2.HeartbeatSent])
