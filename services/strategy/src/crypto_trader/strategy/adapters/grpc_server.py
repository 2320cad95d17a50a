"""gRPC ``StrategyService``: the strategy registry and the instances with their progress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection

import grpc

from crypto_trader.common.errors import InvalidInput, NotFound
from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2, strategy_service_pb2_grpc
from crypto_trader.strategy.domain.instance import InstanceStatus
from crypto_trader.strategy.domain.registry import StrategyEntry, StrategyRegistry
from crypto_trader.strategy.ports import InstanceRepository


class StrategyServicer(strategy_service_pb2_grpc.StrategyServiceServicer):
    """Answer questions about strategies and instances.

    A strategy that failed to load is listed with kind-less parameters and the description
    ``failed to load from <file>: <error>`` (the v1 contract has no status field).
    """

    def __init__(
        self,
        instances: InstanceRepository,
        *,
        registry: StrategyRegistry,
        running: Callable[[], Collection[str]],
    ) -> None:
        self._instances = instances
        self._registry = registry
        self._running = running

    @maps_errors
    async def ListStrategies(
        self,
        _request: strategy_service_pb2.ListStrategiesRequest,
        _context: grpc.aio.ServicerContext,
    ) -> strategy_service_pb2.ListStrategiesResponse:
        return strategy_service_pb2.ListStrategiesResponse(
            strategies=[_description(entry) for entry in self._registry.entries()]
        )

    @maps_errors
    async def ListInstances(
        self,
        _request: strategy_service_pb2.ListInstancesRequest,
        _context: grpc.aio.ServicerContext,
    ) -> strategy_service_pb2.ListInstancesResponse:
        statuses = await asyncio.to_thread(self._instances.list)
        running = set(self._running())
        return strategy_service_pb2.ListInstancesResponse(
            instances=[_instance(s, running) for s in statuses]
        )

    @maps_errors
    async def GetInstance(
        self, request: strategy_service_pb2.GetInstanceRequest, _context: grpc.aio.ServicerContext
    ) -> strategy_service_pb2.GetInstanceResponse:
        if not request.instance_id:
            raise InvalidInput("instance_id is required")
        status = await asyncio.to_thread(self._instances.get, request.instance_id)
        if status is None:
            raise NotFound(f"no strategy instance {request.instance_id!r}")
        running = set(self._running())
        return strategy_service_pb2.GetInstanceResponse(instance=_instance(status, running))


def _instance(status: InstanceStatus, running: set[str]) -> strategy_service_pb2.StrategyInstance:
    spec, progress = status.spec, status.progress
    return strategy_service_pb2.StrategyInstance(
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
        last_candle_open_time_ms=progress.last_candle_open_time_ms or 0,
    )


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _description(entry: StrategyEntry) -> strategy_service_pb2.StrategyDescription:
    strategy_class = entry.strategy_class
    parameters = [] if strategy_class is None else strategy_class.parameters
    return strategy_service_pb2.StrategyDescription(
        name=entry.name,
        description=entry.description,
        parameters=[
            strategy_service_pb2.StrategyParameter(
                name=p.name,
                kind=p.type,
                default=_text(p.default),
                minimum=_text(p.minimum),
                maximum=_text(p.maximum),
            )
            for p in parameters
        ],
    )
