"""``/positions``: the account's open positions, from portfolio."""

from __future__ import annotations

from fastapi import APIRouter

from crypto_trader.contracts.portfolio.v1 import portfolio_service_pb2
from crypto_trader.gateway.api.deps import PortfolioClientDep, SettingsDep
from crypto_trader.gateway.api.schemas import PositionList, position_from_proto

router = APIRouter(prefix="/positions", tags=["positions"])


@router.get("", response_model=PositionList)
async def list_positions(portfolio: PortfolioClientDep, settings: SettingsDep) -> PositionList:
    """List the account's positions with their valuation."""
    request = portfolio_service_pb2.GetPositionsRequest(account=settings.infra.account)
    response = await portfolio.call(portfolio.stub.GetPositions, request)
    return PositionList(positions=[position_from_proto(p) for p in response.positions])
