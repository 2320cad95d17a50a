"""gRPC ``StrategyService``: the strategy registry and the instances with their progress."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import grpc

from crypto_trader.common.errors import InvalidInput, NotFound
from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2, strategy_service_pb2_grpc
from crypto_trader.strategy.domain.instance import InstanceStatus
from crypto_trader.strategy.domain.registry import StrategyDescription, list_strategies
from crypto_trader.strategy.ports import InstanceRepository


class StrategyServicer(strategy_service_pb2_grpc.StrategyServiceServicer):
    """Answer questions about strategies and instances."""

    def __init__(self, instances: InstanceRepository, *, running: Collection[str]) -> None:
        self._instances = instances
        self._running = frozenset(running)

    @maps_errors
    async def ListStrategies(
        self,
        _request: strategy_service_pb2.ListStrategiesRequest,
        _context: grpc.aio.ServicerContext,
    ) -> strategy_service_pb2.ListStrategiesResponse:
        return strategy_service_pb2.ListStrategiesResponse(
            strategies=[_description(d) for d in list_strategies()]
        )

    @maps_errors
    async def ListInstances(
        self,
        _request: strategy_service_pb2.ListInstancesRequest,
        _context: grpc.aio.ServicerContext,
    ) -> strategy_service_pb2.ListInstancesResponse:
        statuses = await asyncio.to_thread(self._instances.list)
        return strategy_service_pb2.ListInstancesResponse(
            instances=[self._instance(s) for s in statuses]
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
        return strategy_service_pb2.GetInstanceResponse(instance=self._instance(status))

    def _instance(self, status: InstanceStatus) -> strategy_service_pb2.StrategyInstance:
        spec, progress = status.spec, status.progress
        return strategy_service_pb2.StrategyInstance(
            instance_id=spec.instance_id,
            strategy=spec.strategy,
            account=spec.account,
            exchange=spec.exchange,
            symbol=spec.symbol,
            timeframe=spec.timeframe,
            parameters=spec.parameters,
            running=spec.instance_id in self._running,
            candles_seen=progress.candles_seen,
            signals_emitted=progress.signals_emitted,
            last_candle_open_time_ms=progress.last_candle_open_time_ms or 0,
        )


def _description(description: StrategyDescription) -> strategy_service_pb2.StrategyDescription:
    return strategy_service_pb2.StrategyDescription(
        name=description.name,
        description=description.description,
        parameters=[
            strategy_service_pb2.StrategyParameter(
                name=p.name, kind=p.kind, default=p.default, minimum=p.minimum, maximum=p.maximum
            )
            for p in description.parameters
        ],
    )
