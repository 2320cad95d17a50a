"""``/orders``: the account's latest orders, from execution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from crypto_trader.contracts.execution.v1 import execution_service_pb2
from crypto_trader.gateway.api.deps import ExecutionClientDep, SettingsDep
from crypto_trader.gateway.api.schemas import OrderList, order_from_proto

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("", response_model=OrderList)
async def list_orders(
    execution: ExecutionClientDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> OrderList:
    """List the latest orders of the account."""
    request = execution_service_pb2.ListOrdersRequest(account=settings.infra.account, limit=limit)
    response = await execution.call(execution.stub.ListOrders, request)
    return OrderList(orders=[order_from_proto(order) for order in response.orders])
