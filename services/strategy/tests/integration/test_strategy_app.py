"""The strategy app on a real NATS server: real candles in, the batch form's signals out, once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import grpc
import nats
import pytest

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.codec import candle_to_proto
from crypto_trader.common.embedded import free_port
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.common.settings import InfraSettings
from crypto_trader.contracts.marketdata.v1 import (
    market_data_pb2,
    market_data_service_pb2,
    market_data_service_pb2_grpc,
)
from crypto_trader.contracts.strategy.v1 import (
    signals_pb2,
    strategy_service_pb2,
    strategy_service_pb2_grpc,
)
from crypto_trader.strategy import app
from crypto_trader.strategy.domain.framework import BUILT_INS, SmaCross
from crypto_trader.strategy.domain.registry import StrategyRegistry
from crypto_trader.strategy.settings import InstanceConfig, StrategySettings
from crypto_trader.strategy.testing import vectorised_actions

pytestmark = pytest.mark.integration


def _instance_id(settings: StrategySettings) -> str:
    (spec,) = app.owned_specs(settings, StrategyRegistry.with_built_ins())
    return spec.instance_id


ACTIONS = {
    signals_pb2.SIGNAL_ACTION_ENTER_LONG: "enter_long",
    signals_pb2.SIGNAL_ACTION_EXIT_LONG: "exit_long",
    signals_pb2.SIGNAL_ACTION_ENTER_SHORT: "enter_short",
    signals_pb2.SIGNAL_ACTION_EXIT_SHORT: "exit_short",
}


def _binance_candles(shared_data_dir: Path, count: int) -> list[Candle]:
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    rows = json.loads(path.read_text(), parse_float=Decimal)[:count]
    return [
        Candle(
            "binance",
            "BTC/USDT",
            "5m",
            int(t),
            Decimal(o),
            Decimal(h),
            Decimal(lo),
            Decimal(c),
            Decimal(v),
        )
        for t, o, h, lo, c, v in rows
    ]


class StoreServicer(market_data_service_pb2_grpc.MarketDataServiceServicer):
    """Marketdata's GetCandles over the candles published so far, as its store would answer."""

    def __init__(self) -> None:
        self.stored: list[Candle] = []
        self.requests: list[market_data_service_pb2.GetCandlesRequest] = []

    async def GetCandles(
        self, request: market_data_service_pb2.GetCandlesRequest, context: grpc.aio.ServicerContext
    ) -> market_data_service_pb2.GetCandlesResponse:
        self.requests.append(request)
        matching = [
            c
            for c in self.stored
            if (c.exchange, c.symbol, c.timeframe)
            == (request.exchange, request.symbol, request.timeframe)
            and c.open_time_ms >= request.start_ms
            and (request.end_ms == 0 or c.open_time_ms < request.end_ms)
        ]
        if request.limit:
            matching = matching[-request.limit :] if request.from_end else matching[: request.limit]
        return market_data_service_pb2.GetCandlesResponse(
            candles=[candle_to_proto(c) for c in matching]
        )


@asynccontextmanager
async def marketdata_server(servicer: StoreServicer) -> AsyncIterator[str]:
    port = free_port()
    registrar = [
        lambda s: market_data_service_pb2_grpc.add_MarketDataServiceServicer_to_server(servicer, s)
    ]
    name = market_data_service_pb2.DESCRIPTOR.services_by_name["MarketDataService"].full_name
    async with serve_grpc("127.0.0.1", port, registrar, [name], grace_seconds=0.1):
        yield f"127.0.0.1:{port}"


@asynccontextmanager
async def running(settings: StrategySettings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


@asynccontextmanager
async def both_running(replicas: Sequence[StrategySettings], port: int) -> AsyncIterator[None]:
    # One after the other: Alembic's migration context is process-global, and replicas are
    # separate processes in production.
    async with running(replicas[0]):
        await _wait_for(lambda: _grpc_ready(port))
        async with running(replicas[1]):
            yield


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


async def _stream_messages(nats_url: str, stream: str) -> list[tuple[str, bytes, dict[str, str]]]:
    client = await nats.connect(nats_url)
    try:
        js = client.jetstream()
        info = await js.stream_info(stream)
        messages = []
        if info.state.messages == 0:
            return []
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            raw = await js.get_msg(stream, sequence)
            messages.append((raw.subject, raw.data, dict(raw.headers or {})))
        return messages
    finally:
        await client.close()


class Harness:
    def __init__(self, nats_url: str, root: str, shared_data_dir: Path, tmp_path: Path) -> None:
        self.nats_url = nats_url
        self.root = root
        self.store = StoreServicer()
        self.grpc_port = free_port()
        self.tmp_path = tmp_path
        self.candles = _binance_candles(shared_data_dir, 400)

    def settings(
        self, marketdata_addr: str, database_url: str, **fields: object
    ) -> StrategySettings:
        return StrategySettings(
            **{"grpc_port": self.grpc_port, **fields},
            heartbeat_seconds=60,
            shutdown_grace_seconds=0.5,
            infra=InfraSettings(
                nats_url=self.nats_url,
                subject_root=self.root,
                database_url=database_url,
                marketdata_addr=marketdata_addr,
                data_dir=self.tmp_path,
            ),
        )

    async def publish(self, bus: NatsBus, candles: Sequence[Candle]) -> None:
        for candle in candles:
            self.store.stored.append(candle)  # stored before it is published, as marketdata does
            event_id = stable_id(
                "candle", candle.exchange, candle.symbol, candle.timeframe, candle.open_time_ms
            )
            message = market_data_pb2.CandleClosed(
                event_id=event_id, ts_event=candle.close_time_ms, ts_init=candle.close_time_ms,
                candle=candle_to_proto(candle),
            )  # fmt: skip
            subject = subjects.candles(self.root, candle.exchange, candle.symbol, candle.timeframe)
            await bus.publish_durable(subject, message, msg_id=event_id)

    async def instance(self, instance_id: str) -> strategy_service_pb2.StrategyInstance:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{self.grpc_port}") as channel:
            stub = strategy_service_pb2_grpc.StrategyServiceStub(channel)
            response = await stub.GetInstance(
                strategy_service_pb2.GetInstanceRequest(instance_id=instance_id)
            )
            return response.instance

    async def processed(self, instance_id: str, candle: Candle) -> bool:
        try:
            instance = await self.instance(instance_id)
        except grpc.aio.AioRpcError:
            return False
        return instance.last_candle_open_time_ms == candle.open_time_ms

    async def signals(self) -> list[signals_pb2.SignalGenerated]:
        raw = await _stream_messages(self.nats_url, streams.signal_stream(self.root).name)
        decoded = []
        for subject, data, headers in raw:
            assert subject == subjects.signals(self.root, "paper")
            message = signals_pb2.SignalGenerated.FromString(data)
            assert headers["Nats-Msg-Id"] == message.event_id
            decoded.append(message)
        return decoded


@pytest.fixture
def harness(nats_url: str, run_root: str, shared_data_dir: Path, tmp_path: Path) -> Harness:
    return Harness(nats_url, run_root, shared_data_dir, tmp_path)


class TestStrategyApp:
    async def test_signals_equal_the_batch_form_across_a_restart(
        self, harness: Harness, database_url: str
    ) -> None:
        candles = harness.candles
        bus = await NatsBus.connect(harness.nats_url, name="test-marketdata")
        await bus.ensure_stream(streams.candle_stream(harness.root))
        async with marketdata_server(harness.store) as marketdata_addr:
            settings = harness.settings(marketdata_addr, database_url)
            instance_id = _instance_id(settings)

            async with running(settings):
                await harness.publish(bus, candles[:170])
                await _wait_for(lambda: harness.processed(instance_id, candles[169]))
            async with running(settings):
                await harness.publish(bus, candles[170:])
                await _wait_for(lambda: harness.processed(instance_id, candles[-1]))
                instance = await harness.instance(instance_id)
        await bus.close()

        signals = await harness.signals()
        index = {c.open_time_ms: i for i, c in enumerate(candles)}
        sma = SmaCross({"fast": 10, "slow": 30})
        expected = [(i, action.value) for i, action, _ in vectorised_actions(sma, candles)]
        assert len(expected) >= 6
        assert [(index[s.candle_open_time_ms], ACTIONS[s.action]) for s in signals] == expected
        for signal in signals:
            candle = candles[index[signal.candle_open_time_ms]]
            assert Decimal(signal.reference_price) == candle.close
            assert signal.instance_id == instance_id
            assert signal.event_id == stable_id(
                "signal", instance_id, candle.open_time_ms, ACTIONS[signal.action]
            )
            market = (signal.account, signal.exchange, signal.symbol, signal.timeframe)
            assert (signal.strategy, *market) == (
                "sma_cross", "paper", "binance", "BTC/USDT", "5m",
            )  # fmt: skip
        # the restarted instance restored its saved state: it never needed the store's history
        assert [r.end_ms for r in harness.store.requests] == [candles[0].open_time_ms]
        assert instance.candles_seen == len(candles)
        assert instance.signals_emitted == len(expected)
        assert instance.running

    async def test_redelivered_candles_do_not_repeat_signals(
        self, harness: Harness, tmp_path: Path
    ) -> None:
        candles = harness.candles[:200]
        bus = await NatsBus.connect(harness.nats_url, name="test-marketdata")
        await bus.ensure_stream(streams.candle_stream(harness.root))
        async with marketdata_server(harness.store) as marketdata_addr:
            settings = harness.settings(marketdata_addr, f"sqlite:///{tmp_path / 'strategy.db'}")
            instance_id = _instance_id(settings)
            async with running(settings):
                await harness.publish(bus, candles)
                await _wait_for(lambda: harness.processed(instance_id, candles[-1]))
                first = await harness.signals()
            # marketdata replays an hour of candles after its own restart (outside the dedup window
            # they are new stream messages); the instance must ignore them
            async with running(settings):
                stream = streams.candle_stream(harness.root)
                for candle in candles[-12:]:
                    message = market_data_pb2.CandleClosed(
                        event_id="replay", candle=candle_to_proto(candle)
                    )
                    subject = subjects.candles(harness.root, "binance", "BTC/USDT", "5m")
                    await bus.publish_durable(
                        subject, message, msg_id=f"replay-{candle.open_time_ms}"
                    )
                await _wait_for(lambda: _consumer_idle(harness.nats_url, stream.name))
                instance = await harness.instance(instance_id)
        await bus.close()

        assert await harness.signals() == first
        assert instance.candles_seen == len(candles)

    async def test_unknown_instance_is_not_found_and_strategies_are_listed(
        self, harness: Harness, tmp_path: Path
    ) -> None:
        user = tmp_path / "user_strategies"
        user.mkdir()
        (user / "broken.py").write_text("raise RuntimeError('cannot load me')\n")
        async with marketdata_server(harness.store) as marketdata_addr:
            settings = harness.settings(
                marketdata_addr, f"sqlite:///{tmp_path / 'strategy.db'}", strategies_dir=user
            )
            async with running(settings):
                await _wait_for(lambda: _grpc_ready(harness.grpc_port))
                async with grpc.aio.insecure_channel(f"127.0.0.1:{harness.grpc_port}") as channel:
                    stub = strategy_service_pb2_grpc.StrategyServiceStub(channel)
                    with pytest.raises(grpc.aio.AioRpcError) as error:
                        await stub.GetInstance(
                            strategy_service_pb2.GetInstanceRequest(instance_id="nope")
                        )
                    strategies = await stub.ListStrategies(
                        strategy_service_pb2.ListStrategiesRequest()
                    )
                    instances = await stub.ListInstances(
                        strategy_service_pb2.ListInstancesRequest()
                    )

        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        assert [s.name for s in strategies.strategies] == sorted([*BUILT_INS, "broken"])
        listed = {s.name: s for s in strategies.strategies}
        assert "RuntimeError: cannot load me" in listed["broken"].description
        assert [(p.name, p.kind, p.default, p.minimum) for p in listed["sma_cross"].parameters][
            :2
        ] == [("fast", "int", "20", "1"), ("slow", "int", "50", "2")]
        (instance,) = instances.instances
        assert instance.instance_id == _instance_id(settings)
        assert dict(instance.parameters) == {"fast": "10", "slow": "30", "short": "false"}
        assert instance.candles_seen == 0


class TestManyInstances:
    async def test_replicas_split_the_instances_and_each_emits_its_vectorised_signals(
        self, harness: Harness, tmp_path: Path
    ) -> None:
        configs = (
            InstanceConfig(strategy="sma_cross", params={"fast": 10, "slow": 30}),
            InstanceConfig(strategy="rsi_mean_reversion", params={"period": 7}),
            InstanceConfig(strategy="bollinger_breakout", params={"period": 15}),
            InstanceConfig(strategy="macd_trend"),
            InstanceConfig(strategy="donchian_breakout"),
            InstanceConfig(strategy="ema_cross", params={"fast": 8, "slow": 21, "short": True}),
        )
        candles = harness.candles
        database = f"sqlite:///{tmp_path / 'strategy.db'}"
        bus = await NatsBus.connect(harness.nats_url, name="test-marketdata")
        await bus.ensure_stream(streams.candle_stream(harness.root))
        async with marketdata_server(harness.store) as marketdata_addr:
            replicas = [
                harness.settings(
                    marketdata_addr,
                    database,
                    instances=configs,
                    replica_index=i,
                    replica_count=2,
                    grpc_port=free_port() if i else harness.grpc_port,
                )  # fmt: skip
                for i in range(2)
            ]
            registry = StrategyRegistry.with_built_ins()
            shares = [app.owned_specs(r, registry) for r in replicas]
            specs = [spec for share in shares for spec in share]
            async with both_running(replicas, harness.grpc_port):
                await harness.publish(bus, candles[:150])
                for spec in specs:
                    await _wait_for(lambda s=spec: harness.processed(s.instance_id, candles[149]))
            async with both_running(replicas, harness.grpc_port):  # both restart
                await harness.publish(bus, candles[150:])
                for spec in specs:
                    await _wait_for(lambda s=spec: harness.processed(s.instance_id, candles[-1]))
                listed = await harness.instance(specs[0].instance_id)
        await bus.close()

        assert len(specs) == len(configs) and all(shares)
        assert listed.candles_seen == len(candles)
        by_instance: dict[str, list[tuple[int, str]]] = {}
        index = {c.open_time_ms: i for i, c in enumerate(candles)}
        for signal in await harness.signals():
            entry = (index[signal.candle_open_time_ms], ACTIONS[signal.action])
            by_instance.setdefault(signal.instance_id, []).append(entry)
        for spec in specs:
            strategy = BUILT_INS[spec.strategy](spec.parameters)
            expected = [(i, action.value) for i, action, _ in vectorised_actions(strategy, candles)]
            assert expected, spec.strategy
            assert by_instance.get(spec.instance_id, []) == expected, spec.strategy


async def _consumer_idle(nats_url: str, stream: str) -> bool:
    client = await nats.connect(nats_url)
    try:
        info = await client.jetstream().consumer_info(stream, "strategy-candles")
        return info.num_pending == 0 and info.num_ack_pending == 0
    finally:
        await client.close()


async def _grpc_ready(port: int) -> bool:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = strategy_service_pb2_grpc.StrategyServiceStub(channel)
        try:
            await stub.ListStrategies(strategy_service_pb2.ListStrategiesRequest(), timeout=1)
        except grpc.aio.AioRpcError:
            return False
        return True
