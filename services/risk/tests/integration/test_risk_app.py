"""The risk app on a real NATS server: signals in, intents or rejections out, once per signal."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import nats
import pytest

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import MSG_ID_HEADER, TYPE_HEADER, NatsBus
from crypto_trader.common.embedded import free_port
from crypto_trader.common.ids import stable_id
from crypto_trader.common.settings import InfraSettings
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2, risk_service_pb2, risk_service_pb2_grpc
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.risk import app
from crypto_trader.risk.settings import RiskSettings

pytestmark = pytest.mark.integration

T0 = 1_606_780_800_000


def _signal(action: int, minute: int, price: str = "20000") -> signals_pb2.SignalGenerated:
    open_time = T0 + minute * 300_000
    name = {
        signals_pb2.SIGNAL_ACTION_ENTER_LONG: "enter_long",
        signals_pb2.SIGNAL_ACTION_EXIT_LONG: "exit_long",
    }
    return signals_pb2.SignalGenerated(
        event_id=stable_id("signal", "instance-1", open_time, name[action]),
        ts_event=open_time, ts_init=open_time, instance_id="instance-1", strategy="sma_cross",
        account="paper", exchange="binance", symbol="BTC/USDT", timeframe="5m", action=action,
        reference_price=price, candle_open_time_ms=open_time,
    )  # fmt: skip


async def _stream(nats_url: str, stream: str) -> list[tuple[bytes, dict[str, str]]]:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        try:
            info = await js.stream_info(stream)
        except nats.js.errors.NotFoundError:
            return []
        found = []
        if info.state.messages == 0:
            return []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            raw = await js.get_msg(stream, sequence)
            found.append((raw.data, dict(raw.headers or {})))
        return found
    finally:
        await client.close()


async def _consumer_idle(nats_url: str, stream: str, durable: str) -> bool:
    client = await nats.connect(nats_url)
    try:
        info = await client.jetstream().consumer_info(stream, durable)
        return info.num_pending == 0 and info.num_ack_pending == 0
    except nats.js.errors.NotFoundError:
        return False
    finally:
        await client.close()


async def _wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


class Harness:
    def __init__(self, nats_url: str, root: str, tmp_path: Path) -> None:
        self.nats_url = nats_url
        self.root = root
        self.tmp_path = tmp_path
        self.grpc_port = free_port()

    def settings(self, portfolio_addr: str, database_url: str) -> RiskSettings:
        return RiskSettings(
            grpc_port=self.grpc_port,
            heartbeat_seconds=60,
            shutdown_grace_seconds=0.5,
            infra=InfraSettings(
                nats_url=self.nats_url,
                subject_root=self.root,
                database_url=database_url,
                portfolio_addr=portfolio_addr,
                data_dir=self.tmp_path,
            ),
        )

    @asynccontextmanager
    async def running(
        self, settings: RiskSettings
    ) -> AsyncIterator[risk_service_pb2_grpc.RiskServiceStub]:
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(settings, stop))
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{self.grpc_port}") as risk_channel:
                yield risk_service_pb2_grpc.RiskServiceStub(risk_channel)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)

    async def counts(self, stub: risk_service_pb2_grpc.RiskServiceStub) -> tuple[int, int]:
        try:
            reply = await stub.GetDecisions(
                risk_service_pb2.GetDecisionsRequest(account="paper"), timeout=1
            )
        except grpc.aio.AioRpcError:
            return (-1, -1)
        return reply.approved, reply.rejected

    async def publish(self, bus: NatsBus, *messages: signals_pb2.SignalGenerated) -> None:
        for message in messages:
            await bus.publish_durable(
                subjects.signals(self.root, "paper"), message, msg_id=message.event_id
            )

    async def approved(self) -> list[orders_pb2.OrderIntentApproved]:
        raw = await _stream(self.nats_url, streams.approved_order_stream(self.root).name)
        assert all(
            h[MSG_ID_HEADER] == orders_pb2.OrderIntentApproved.FromString(d).event_id
            for d, h in raw
        )
        return [orders_pb2.OrderIntentApproved.FromString(data) for data, _ in raw]

    async def rejected(self) -> list[orders_pb2.OrderIntentRejected]:
        raw = await _stream(self.nats_url, streams.risk_event_stream(self.root).name)
        return [orders_pb2.OrderIntentRejected.FromString(data) for data, _ in raw]


@pytest.fixture
def harness(nats_url: str, run_root: str, tmp_path: Path) -> Harness:
    return Harness(nats_url, run_root, tmp_path)


class TestRiskApp:
    async def test_decides_each_signal_once_and_republishes_the_same_decision_after_a_restart(
        self, harness: Harness, database_url: str
    ) -> None:
        bus = await NatsBus.connect(harness.nats_url, name="test-strategy")
        await bus.ensure_stream(streams.signal_stream(harness.root))
        exit_flat = _signal(signals_pb2.SIGNAL_ACTION_EXIT_LONG, 0)
        enter = _signal(signals_pb2.SIGNAL_ACTION_ENTER_LONG, 1, price="19600")
        enter_again = _signal(signals_pb2.SIGNAL_ACTION_ENTER_LONG, 2)
        enter_full = _signal(signals_pb2.SIGNAL_ACTION_ENTER_LONG, 3)
        settings = harness.settings("127.0.0.1:1", database_url)
        async with harness.running(settings) as risk:
            await harness.publish(bus, exit_flat, enter)
            await _wait_for(lambda: _equals(harness.counts(risk), (1, 1)))
            # (0.05102 + 0.05) * 20000 = 2020.4 fits in 2500; one more 0.05 does not, even though
            # no fill has been booked yet: approved orders count as exposure.
            await harness.publish(bus, enter_again, enter_full)
            await _wait_for(lambda: _equals(harness.counts(risk), (2, 2)))
            limits = await risk.GetLimits(risk_service_pb2.GetLimitsRequest(account="paper"))
        approved_before, rejected_before = await harness.approved(), await harness.rejected()

        # Lose the consumer's acks: a restarted risk sees every signal again; it must republish
        # its stored decisions, not new ones.
        await _delete_consumer(
            harness.nats_url, streams.signal_stream(harness.root).name, "risk-signals"
        )
        async with harness.running(settings) as risk:
            await _wait_for(
                lambda: _consumer_idle(
                    harness.nats_url, streams.signal_stream(harness.root).name, "risk-signals"
                )
            )
            counts_after = await harness.counts(risk)
        await bus.close()

        intent, second = approved_before
        assert second.quantity == "0.05"
        assert intent.intent_id == intent.event_id == stable_id("intent", enter.event_id)
        assert intent.client_order_id == "ct-" + stable_id("order", enter.event_id)[:24]
        assert (intent.side, intent.quantity, intent.reference_price) == (
            common_pb2.SIDE_BUY,
            "0.05102",
            "19600",
        )
        assert intent.order_type == orders_pb2.ORDER_TYPE_MARKET
        assert intent.mode == common_pb2.TRADING_MODE_PAPER
        assert (intent.not_before_ms, intent.timeframe) == (enter.candle_open_time_ms, "5m")
        assert [(r.signal_id, r.reason.split(":")[0]) for r in rejected_before] == [
            (exit_flat.event_id, "no position to close"),
            (enter_full.event_id, "max_position_notional exceeded"),
        ]
        assert await harness.approved() == approved_before
        assert await harness.rejected() == rejected_before
        assert counts_after == (2, 2)
        assert (limits.limits.order_notional, limits.limits.max_position_notional) == (
            "1000",
            "2500",
        )

    async def test_a_malformed_signal_is_dropped_and_the_next_one_decided(
        self, harness: Harness, tmp_path: Path
    ) -> None:
        bus = await NatsBus.connect(harness.nats_url, name="test-strategy")
        await bus.ensure_stream(streams.signal_stream(harness.root))
        bad = _signal(signals_pb2.SIGNAL_ACTION_ENTER_LONG, 0, price="not-a-price")
        good = _signal(signals_pb2.SIGNAL_ACTION_ENTER_LONG, 1)
        settings = harness.settings("127.0.0.1:1", f"sqlite:///{tmp_path / 'risk.db'}")
        async with harness.running(settings) as risk:
            await harness.publish(bus, bad)
            await bus.client.publish(
                subjects.signals(harness.root, "paper"),
                b"\xff\xff not protobuf",
                headers={
                    TYPE_HEADER: signals_pb2.SignalGenerated.DESCRIPTOR.full_name,
                    MSG_ID_HEADER: "junk",
                },
            )
            await harness.publish(bus, good)
            await _wait_for(lambda: _equals(harness.counts(risk), (1, 0)))
        await bus.close()

        (intent,) = await harness.approved()
        assert intent.signal_id == good.event_id
        assert await harness.rejected() == []


async def _equals(value: object, expected: object) -> bool:
    return await value == expected  # type: ignore[misc]


async def _delete_consumer(nats_url: str, stream: str, durable: str) -> None:
    client = await nats.connect(nats_url)
    try:
        await client.jetstream().delete_consumer(stream, durable)
    finally:
        await client.close()
