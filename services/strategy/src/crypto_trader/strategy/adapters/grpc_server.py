"""gRPC ``StrategyService``: the strategy registry and the instances with their progress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection

import grpc

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import InvalidInput, NotFound
from crypto_trader.common.model import Timeframe
from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2, strategy_service_pb2_grpc
from crypto_trader.strategy.domain.framework import BaseStrategy, Parameter
from crypto_trader.strategy.domain.instance import InstanceStatus
from crypto_trader.strategy.domain.registry import StrategyEntry, StrategyRegistry
from crypto_trader.strategy.domain.schedule import (
    DAY_NAMES,
    Schedule,
    ScheduleState,
    schedule_state,
)
from crypto_trader.strategy.ports import InstanceRepository

pb = strategy_service_pb2


class StrategyServicer(strategy_service_pb2_grpc.StrategyServiceServicer):
    """Answer questions about strategies and instances.

    A strategy that failed to load is listed with status FAILED, its error, no parameters, and
    (for older clients) the description ``failed to load from <file>: <error>``.
    """

    def __init__(
        self,
        instances: InstanceRepository,
        *,
        registry: StrategyRegistry,
        running: Callable[[], Collection[str]],
        clock: Clock,
    ) -> None:
        self._instances = instances
        self._registry = registry
        self._running = running
        self._clock = clock

    @maps_errors
    async def ListStrategies(
        self,
        _request: pb.ListStrategiesRequest,
        _context: grpc.aio.ServicerContext,
    ) -> pb.ListStrategiesResponse:
        return pb.ListStrategiesResponse(
            strategies=[_description(entry) for entry in self._registry.entries()]
        )

    @maps_errors
    async def ListInstances(
        self,
        _request: pb.ListInstancesRequest,
        _context: grpc.aio.ServicerContext,
    ) -> pb.ListInstancesResponse:
        statuses = await asyncio.to_thread(self._instances.list)
        running = set(self._running())
        now_ms = self._clock.now_ms()
        return pb.ListInstancesResponse(instances=[_instance(s, running, now_ms) for s in statuses])

    @maps_errors
    async def GetInstance(
        self, request: pb.GetInstanceRequest, _context: grpc.aio.ServicerContext
    ) -> pb.GetInstanceResponse:
        if not request.instance_id:
            raise InvalidInput("instance_id is required")
        status = await asyncio.to_thread(self._instances.get, request.instance_id)
        if status is None:
            raise NotFound(f"no strategy instance {request.instance_id!r}")
        running = set(self._running())
        instance = _instance(status, running, self._clock.now_ms())
        return pb.GetInstanceResponse(instance=instance)


def _instance(status: InstanceStatus, running: set[str], now_ms: int) -> pb.StrategyInstance:
    spec, progress = status.spec, status.progress
    last = progress.last_candle_open_time_ms
    # The instance judges entries by candle close times, so its status does too.
    checked_at = now_ms if last is None else last + Timeframe(spec.timeframe).milliseconds
    budget = progress.budget.on(checked_at)
    return pb.StrategyInstance(
        instance_id=progress.instance_id,
        strategy=spec.strategy,
        account=spec.account,
        exchange=spec.exchange,
        symbol=spec.symbol,
        timeframe=spec.timeframe,
        parameters={name: _text(value) for name, value in spec.params},
        running=progress.instance_id in running,
        candles_seen=progress.candles_seen,
        signals_emitted=progress.signals_emitted,
        last_candle_open_time_ms=last or 0,
        schedule=_schedule(spec.schedule),
        schedule_state=_SCHEDULE_STATES[schedule_state(spec.schedule, budget, checked_at)],
        schedule_checked_at_ms=checked_at,
        entries_today=budget.entries,
    )


def _schedule(schedule: Schedule) -> pb.InstanceSchedule:
    hours = schedule.active_hours
    return pb.InstanceSchedule(
        active_hours_start=None if hours is None else hours[0],
        active_hours_end=None if hours is None else hours[1],
        active_days=[DAY_NAMES[day] for day in sorted(schedule.active_days)],
        start_ms=schedule.start_ms,
        stop_ms=schedule.stop_ms,
        max_entries_per_day=schedule.max_trades_per_day,
    )


_SCHEDULE_STATES = {
    ScheduleState.ACTIVE: pb.SCHEDULE_STATE_ACTIVE,
    ScheduleState.NOT_STARTED: pb.SCHEDULE_STATE_NOT_STARTED,
    ScheduleState.ENDED: pb.SCHEDULE_STATE_ENDED,
    ScheduleState.OUTSIDE_DAYS: pb.SCHEDULE_STATE_OUTSIDE_DAYS,
    ScheduleState.OUTSIDE_HOURS: pb.SCHEDULE_STATE_OUTSIDE_HOURS,
    ScheduleState.DAILY_LIMIT_REACHED: pb.SCHEDULE_STATE_DAILY_LIMIT_REACHED,
}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _description(entry: StrategyEntry) -> pb.StrategyDescription:
    strategy_class = entry.strategy_class
    if strategy_class is None:
        return pb.StrategyDescription(
            name=entry.name,
            description=entry.description,
            status=pb.STRATEGY_LOAD_STATUS_FAILED,
            error=entry.error,
            source=entry.source,
        )
    return pb.StrategyDescription(
        name=entry.name,
        description=entry.description,
        parameters=[_parameter(p) for p in strategy_class.parameters],
        status=pb.STRATEGY_LOAD_STATUS_OK,
        source=entry.source,
        informative_timeframes=list(strategy_class.informative_timeframes),
        warmup_candles=_default_warmup(strategy_class),
    )


def _parameter(parameter: Parameter) -> pb.StrategyParameter:
    return pb.StrategyParameter(
        name=parameter.name,
        kind=parameter.type,
        default=_text(parameter.default),
        minimum=_text(parameter.minimum),
        maximum=_text(parameter.maximum),
        description=parameter.description,
        choices=["false", "true"] if parameter.type == "bool" else [],
    )


def _default_warmup(strategy_class: type[BaseStrategy]) -> int:
    # The registry validated the class by building it with its defaults, so this succeeds for
    # every loaded strategy; a user strategy that still fails here just reports no warm-up.
    try:
        return int(strategy_class().warmup)
    except Exception:  # noqa: BLE001 - user code
        return 0
