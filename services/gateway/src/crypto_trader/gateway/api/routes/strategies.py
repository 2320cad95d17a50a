"""``/strategies``: the strategy instances and their counters."""

from __future__ import annotations

from fastapi import APIRouter

from crypto_trader.contracts.strategy.v1 import strategy_service_pb2
from crypto_trader.gateway.api.deps import StrategyClientDep
from crypto_trader.gateway.api.schemas import StrategyInstanceList, instance_from_proto

router = APIRouter(prefix="/strategies", tags=["strategies"])


@router.get("/instances", response_model=StrategyInstanceList)
async def list_instances(strategy: StrategyClientDep) -> StrategyInstanceList:
    """List the strategy instances the strategy service runs."""
    request = strategy_service_pb2.ListInstancesRequest()
    response = await strategy.call(strategy.stub.ListInstances, request)
    return StrategyInstanceList(instances=[instance_from_proto(i) for i in response.instances])
