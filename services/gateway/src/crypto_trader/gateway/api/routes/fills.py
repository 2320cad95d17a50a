"""``/fills``: the account's latest fills, from execution."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from crypto_trader.contracts.execution.v1 import execution_service_pb2
from crypto_trader.gateway.api.deps import ExecutionClientDep, SettingsDep
from crypto_trader.gateway.api.schemas import FillList, fill_from_proto

router = APIRouter(prefix="/fills", tags=["fills"])


@router.get("", response_model=FillList)
async def list_fills(
    execution: ExecutionClientDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> FillList:
    """List the latest fills of the account."""
    request = execution_service_pb2.ListFillsRequest(account=settings.infra.account, limit=limit)
    response = await execution.call(execution.stub.ListFills, request)
    return FillList(fills=[fill_from_proto(fill) for fill in response.fills])
