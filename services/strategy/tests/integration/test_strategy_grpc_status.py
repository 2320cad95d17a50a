"""StrategyService over real gRPC: instance schedules and their state, strategy load status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.embedded import free_port
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2 as pb
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2_grpc
from crypto_trader.strategy.adapters.grpc_server import StrategyServicer
from crypto_trader.strategy.adapters.strategy_files import load_strategies_dir
from crypto_trader.strategy.domain.framework import BUILT_INS
from crypto_trader.strategy.domain.instance import InstanceSpec
from crypto_trader.strategy.domain.registry import StrategyRegistry
from crypto_trader.strategy.domain.schedule import EntryBudget, Schedule
from crypto_trader.strategy.testing import InMemoryInstanceRepository

pytestmark = pytest.mark.integration

HOUR_MS = 3_600_000
MONDAY_MS = 1_609_718_400_000  # 2021-01-04 00:00 UTC, a Monday
FIVE_MINUTES_MS = 300_000
DAY_MS = 86_400_000

HIGHER_TIMEFRAME = """
from crypto_trader.strategy.domain.framework import SmaCross

class DailyFilteredCross(SmaCross):
    name = "daily_filtered_cross"
    informative_timeframes = ("1h", "1d")
"""


def _spec(symbol: str, schedule: Schedule) -> InstanceSpec:
    params = {"fast": 10, "slow": 30, "short": False}
    return InstanceSpec.create("sma_cross", "paper", "binance", symbol, "5m", params, schedule)


class Service:
    def __init__(self, registry: StrategyRegistry) -> None:
        self.instances = InMemoryInstanceRepository()
        self.clock = FakeClock(MONDAY_MS + 10 * HOUR_MS)
        self.registry = registry
        self.running: set[str] = set()

    def add(self, spec: InstanceSpec, last_close_ms: int | None = None, entries: int = 0) -> str:
        """Register an instance whose last processed candle closed at ``last_close_ms``."""
        progress = self.instances.register(spec)
        if last_close_ms is not None:
            budget = EntryBudget(last_close_ms // DAY_MS, entries)
            progress = progress.after_candle(
                last_close_ms - FIVE_MINUTES_MS, emitted=False, budget=budget
            )
            self.instances.save_progress(progress)
        self.running.add(spec.instance_id)
        return spec.instance_id


@pytest.fixture
def registry(tmp_path: Path) -> StrategyRegistry:
    (tmp_path / "broken.py").write_text("raise RuntimeError('cannot load me')\n")
    (tmp_path / "daily.py").write_text(HIGHER_TIMEFRAME)
    registry = StrategyRegistry.with_built_ins()
    load_strategies_dir(tmp_path, registry)
    return registry


@pytest.fixture
async def stub(
    registry: StrategyRegistry,
) -> AsyncIterator[tuple[Service, strategy_service_pb2_grpc.StrategyServiceStub]]:
    service = Service(registry)
    servicer = StrategyServicer(
        service.instances,
        registry=registry,
        running=lambda: service.running,
        clock=service.clock,
    )
    port = free_port()
    registrar = [
        lambda s: strategy_service_pb2_grpc.add_StrategyServiceServicer_to_server(servicer, s)
    ]
    name = pb.DESCRIPTOR.services_by_name["StrategyService"].full_name
    async with serve_grpc("127.0.0.1", port, registrar, [name], grace_seconds=0.1):
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield service, strategy_service_pb2_grpc.StrategyServiceStub(channel)


class TestInstanceSchedule:
    async def test_carries_the_schedule_and_whether_it_allows_entries_now(
        self, stub: tuple[Service, strategy_service_pb2_grpc.StrategyServiceStub]
    ) -> None:
        service, client = stub
        office = Schedule(
            active_hours=(8, 20),
            active_days=frozenset({0, 1, 2, 3, 4}),
            start_ms=MONDAY_MS,
            stop_ms=MONDAY_MS + 30 * DAY_MS,
            max_trades_per_day=2,
        )
        ids = {
            # judged at the clock (Monday 10:00) before the first candle
            "active": service.add(_spec("BTC/USDT", office)),
            "outside_hours": service.add(_spec("ETH/USDT", office), MONDAY_MS + 21 * HOUR_MS),
            "outside_days": service.add(
                _spec("SOL/USDT", office), MONDAY_MS + 5 * DAY_MS + HOUR_MS
            ),
            "not_started": service.add(_spec("ADA/USDT", Schedule(start_ms=MONDAY_MS + DAY_MS))),
            "ended": service.add(_spec("XRP/USDT", Schedule(stop_ms=MONDAY_MS))),
            "daily_limit_reached": service.add(
                _spec("DOT/USDT", office), MONDAY_MS + 12 * HOUR_MS, entries=2
            ),
        }

        listed = await client.ListInstances(pb.ListInstancesRequest())
        one = await client.GetInstance(pb.GetInstanceRequest(instance_id=ids["active"]))

        states = {i.instance_id: pb.ScheduleState.Name(i.schedule_state) for i in listed.instances}
        assert {name: states[instance_id] for name, instance_id in ids.items()} == {
            name: f"SCHEDULE_STATE_{name.upper()}" for name in ids
        }
        schedule = one.instance.schedule
        assert (schedule.active_hours_start, schedule.active_hours_end) == (8, 20)
        assert list(schedule.active_days) == ["mon", "tue", "wed", "thu", "fri"]
        assert (schedule.start_ms, schedule.stop_ms) == (office.start_ms, office.stop_ms)
        assert schedule.max_entries_per_day == 2
        assert one.instance.schedule_checked_at_ms == service.clock.now_ms()
        limited = next(i for i in listed.instances if i.instance_id == ids["daily_limit_reached"])
        assert limited.entries_today == 2
        assert limited.schedule_checked_at_ms == MONDAY_MS + 12 * HOUR_MS

    async def test_an_instance_without_schedule_leaves_every_field_unset_and_is_active(
        self, stub: tuple[Service, strategy_service_pb2_grpc.StrategyServiceStub]
    ) -> None:
        service, client = stub
        instance_id = service.add(_spec("BTC/USDT", Schedule()), MONDAY_MS - DAY_MS)

        reply = await client.GetInstance(pb.GetInstanceRequest(instance_id=instance_id))

        schedule = reply.instance.schedule
        assert not any(
            schedule.HasField(name)
            for name in (
                "active_hours_start", "active_hours_end", "start_ms", "stop_ms",
                "max_entries_per_day",
            )
        )  # fmt: skip
        assert list(schedule.active_days) == []
        assert reply.instance.schedule_state == pb.SCHEDULE_STATE_ACTIVE
        assert reply.instance.running


class TestStrategyDescriptions:
    async def test_report_load_status_error_timeframes_warmup_and_choices(
        self, stub: tuple[Service, strategy_service_pb2_grpc.StrategyServiceStub]
    ) -> None:
        _, client = stub

        reply = await client.ListStrategies(pb.ListStrategiesRequest())

        listed = {s.name: s for s in reply.strategies}
        assert set(listed) == {*BUILT_INS, "broken", "daily_filtered_cross"}
        broken = listed["broken"]
        assert broken.status == pb.STRATEGY_LOAD_STATUS_FAILED
        assert broken.error == "RuntimeError: cannot load me"
        assert broken.source.endswith("broken.py") and not broken.parameters
        assert "cannot load me" in broken.description  # older clients still see why
        sma = listed["sma_cross"]
        assert (sma.status, sma.error, sma.source) == (pb.STRATEGY_LOAD_STATUS_OK, "", "built-in")
        assert sma.warmup_candles == BUILT_INS["sma_cross"]().warmup > 0
        assert list(sma.informative_timeframes) == []
        short = next(p for p in sma.parameters if p.name == "short")
        assert (short.kind, list(short.choices)) == ("bool", ["false", "true"])
        assert all(not p.choices for p in sma.parameters if p.kind != "bool")
        daily = listed["daily_filtered_cross"]
        assert daily.status == pb.STRATEGY_LOAD_STATUS_OK
        assert list(daily.informative_timeframes) == ["1h", "1d"]
