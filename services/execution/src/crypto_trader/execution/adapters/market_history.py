"""Ask marketdata's gRPC ``GetCandles`` for the candle an order should fill on."""

from __future__ import annotations

import grpc

from crypto_trader.common.codec import candle_from_proto
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.contracts.marketdata.v1 import (
    market_data_service_pb2,
    market_data_service_pb2_grpc,
)


class GrpcMarketHistory:
    """The candle store, reached through marketdata's ``MarketDataService``."""

    def __init__(self, channel: grpc.aio.Channel, *, timeout_seconds: float = 5.0) -> None:
        self._stub = market_data_service_pb2_grpc.MarketDataServiceStub(channel)
        self._timeout = timeout_seconds

    async def first_candle_after(
        self, exchange: str, symbol: str, timeframe: str, after_ms: int
    ) -> Candle | None:
        """Return the first stored closed candle that opened after ``after_ms``, or None."""
        request = market_data_service_pb2.GetCandlesRequest(
            exchange=exchange, symbol=symbol, timeframe=timeframe, start_ms=after_ms + 1, limit=1
        )
        try:
            response = await self._stub.GetCandles(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise RetryableError(f"marketdata GetCandles failed: {error.code().name}") from None
        for message in response.candles:
            candle = candle_from_proto(message)
            # A server ignoring start_ms must not make an order fill on a candle it may not see.
            if candle.closed and candle.open_time_ms > after_ms:
                return candle
        return None

    async def candles_between(
        self, exchange: str, symbol: str, timeframe: str, after_ms: int, before_ms: int
    ) -> list[Candle]:
        """Return the stored closed candles opened after ``after_ms`` and before ``before_ms``."""
        request = market_data_service_pb2.GetCandlesRequest(
            exchange=exchange,
            symbol=symbol,
            timeframe=timeframe,
            start_ms=after_ms + 1,
            end_ms=before_ms,
        )
        try:
            response = await self._stub.GetCandles(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return []
            raise RetryableError(f"marketdata GetCandles failed: {error.code().name}") from None
        candles = [candle_from_proto(message) for message in response.candles]
        return sorted(
            (c for c in candles if c.closed and after_ms < c.open_time_ms < before_ms),
            key=lambda c: c.open_time_ms,
        )
