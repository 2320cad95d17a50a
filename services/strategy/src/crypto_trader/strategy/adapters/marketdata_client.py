"""Candle history from marketdata's gRPC ``MarketDataService``, used to warm instances up."""

from __future__ import annotations

import grpc

from crypto_trader.common.codec import candle_from_proto
from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.contracts.marketdata.v1 import (
    market_data_service_pb2,
    market_data_service_pb2_grpc,
)


class GrpcMarketHistory:
    """Ask marketdata for the newest candles before a time."""

    def __init__(self, channel: grpc.aio.Channel, *, timeout_seconds: float = 10.0) -> None:
        self._stub = market_data_service_pb2_grpc.MarketDataServiceStub(channel)
        self._timeout = timeout_seconds

    async def candles_before(
        self, exchange: str, symbol: str, timeframe: str, *, end_ms: int, limit: int
    ) -> list[Candle]:
        request = market_data_service_pb2.GetCandlesRequest(
            exchange=exchange,
            symbol=symbol,
            timeframe=timeframe,
            end_ms=end_ms,
            limit=limit,
            from_end=True,
        )
        try:
            response = await self._stub.GetCandles(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            # Marketdata may be starting or busy: the candle is retried later.
            raise RetryableError(
                f"marketdata GetCandles failed: {error.code().name} {error.details()}"
            ) from None
        try:
            candles = [candle_from_proto(candle) for candle in response.candles]
        except InvalidInput as error:
            # A bad stored candle is marketdata's problem, not the live candle's: retry, never drop.
            raise RetryableError(f"marketdata returned a bad candle: {error}") from None
        return sorted((c for c in candles if c.closed), key=lambda c: c.open_time_ms)
