"""gRPC ``MarketDataService``: candle history, coverage, last prices and the replay status.

``StreamCandles`` is not implemented yet (the base class answers UNIMPLEMENTED); live candles are on
the JetStream candle stream.
"""

from __future__ import annotations

import asyncio
import functools

import grpc
from typing_extensions import override

from crypto_trader.common.codec import candle_to_proto
from crypto_trader.common.model import decimal_str
from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2 as pb
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2_grpc as pb_grpc
from crypto_trader.marketdata import handlers
from crypto_trader.marketdata.domain.replay import ReplayStatus
from crypto_trader.marketdata.ports import CandleStore


class MarketDataServicer(pb_grpc.MarketDataServiceServicer):
    """Answer market data queries; every store call runs in a worker thread."""

    def __init__(self, store: CandleStore, status: ReplayStatus, *, exchange: str) -> None:
        self._store = store
        self._status = status
        self._exchange = exchange

    @maps_errors
    @override
    async def ListExchanges(
        self, request: pb.ListExchangesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListExchangesResponse:
        exchanges = await asyncio.to_thread(handlers.list_exchanges, self._store, self._exchange)
        return pb.ListExchangesResponse(exchanges=exchanges)

    @maps_errors
    @override
    async def ListSymbols(
        self, request: pb.ListSymbolsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListSymbolsResponse:
        coverage = await asyncio.to_thread(handlers.list_symbols, self._store, request.exchange)
        return pb.ListSymbolsResponse(
            symbols=[
                pb.SymbolCoverage(
                    exchange=item.key.exchange,
                    symbol=item.key.symbol,
                    timeframe=item.key.timeframe,
                    first_open_time_ms=item.first_open_time_ms,
                    last_open_time_ms=item.last_open_time_ms,
                    candle_count=item.candle_count,
                    synthetic=item.synthetic,
                )
                for item in coverage
            ]
        )

    @maps_errors
    @override
    async def GetCandles(
        self, request: pb.GetCandlesRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetCandlesResponse:
        query = functools.partial(
            handlers.get_candles,
            self._store,
            exchange=request.exchange,
            symbol=request.symbol,
            timeframe=request.timeframe,
            start_ms=request.start_ms,
            end_ms=request.end_ms,
            limit=request.limit,
            from_end=request.from_end,
            status=self._status,
        )
        candles = await asyncio.to_thread(query)
        return pb.GetCandlesResponse(candles=[candle_to_proto(candle) for candle in candles])

    @maps_errors
    @override
    async def GetTicker(
        self, request: pb.GetTickerRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetTickerResponse:
        query = functools.partial(
            handlers.get_ticker,
            self._store,
            self._status,
            exchange=request.exchange,
            symbol=request.symbol,
        )
        candle = await asyncio.to_thread(query)
        return pb.GetTickerResponse(
            exchange=candle.exchange,
            symbol=candle.symbol,
            last=decimal_str(candle.close),
            ts_ms=candle.close_time_ms,
        )

    @maps_errors
    @override
    async def GetReplayStatus(
        self, request: pb.GetReplayStatusRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetReplayStatusResponse:
        status = self._status
        return pb.GetReplayStatusResponse(
            source=status.source,
            synthetic=status.synthetic,
            published=status.published,
            total=status.total,
            finished=status.finished,
            last_open_time_ms=status.last_open_time_ms,
        )
