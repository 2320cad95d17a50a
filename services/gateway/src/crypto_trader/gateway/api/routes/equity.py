"""``/equity``: the account's cash, position value and PnL, from portfolio."""

from __future__ import annotations

from fastapi import APIRouter

from crypto_trader.contracts.portfolio.v1 import portfolio_service_pb2
from crypto_trader.gateway.api.deps import PortfolioClientDep, SettingsDep
from crypto_trader.gateway.api.schemas import Equity, equity_from_proto

router = APIRouter(prefix="/equity", tags=["equity"])


@router.get("", response_model=Equity)
async def get_equity(portfolio: PortfolioClientDep, settings: SettingsDep) -> Equity:
    """Return the account's equity."""
    request = portfolio_service_pb2.GetEquityRequest(account=settings.infra.account)
    response = await portfolio.call(portfolio.stub.GetEquity, request)
    return equity_from_proto(response.equity)
