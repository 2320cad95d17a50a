"""``/marketdata``: the state of the market-data service (replay progress)."""

from __future__ import annotations

from fastapi import APIRouter

from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2
from crypto_trader.gateway.api.deps import MarketDataClientDep
from crypto_trader.gateway.api.schemas import ReplayStatus, replay_status_from_proto

router = APIRouter(prefix="/marketdata", tags=["marketdata"])


@router.get("/status", response_model=ReplayStatus)
async def get_status(marketdata: MarketDataClientDep) -> ReplayStatus:
    """Return the replay's source, progress and whether its data is synthetic."""
    request = market_data_service_pb2.GetReplayStatusRequest()
    response = await marketdata.call(marketdata.stub.GetReplayStatus, request)
    return replay_status_from_proto(response)
