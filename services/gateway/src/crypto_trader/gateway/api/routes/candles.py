"""``/candles``: the newest candles of one market, from market data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2
from crypto_trader.gateway.api.deps import MarketDataClientDep
from crypto_trader.gateway.api.schemas import CandleList, candle_from_proto

router = APIRouter(prefix="/candles", tags=["candles"])


@router.get("", response_model=CandleList)
async def list_candles(
    marketdata: MarketDataClientDep,
    exchange: Annotated[str, Query(min_length=1, max_length=40)] = "binance",
    symbol: Annotated[str, Query(min_length=1, max_length=60)] = "BTC/USDT",
    timeframe: Annotated[str, Query(min_length=1, max_length=8)] = "5m",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> CandleList:
    """Return the newest ``limit`` candles, oldest first; ``synthetic`` if any is generated data."""
    request = market_data_service_pb2.GetCandlesRequest(
        exchange=exchange, symbol=symbol, timeframe=timeframe, limit=limit, from_end=True
    )
    response = await marketdata.call(marketdata.stub.GetCandles, request)
    candles = sorted((candle_from_proto(c) for c in response.candles), key=lambda c: c.open_time_ms)
    return CandleList(candles=candles, synthetic=any(c.synthetic for c in candles))
