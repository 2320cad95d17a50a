"""gRPC ``MarketDataService``: history, coverage, last prices, live candles and replay status."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

import grpc
from google.protobuf.message import Message
from typing_extensions import override

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.codec import candle_to_proto
from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import decimal_str
from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2 as pb
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2_grpc as pb_grpc
from crypto_trader.marketdata import handlers
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import ReplayStatus
from crypto_trader.marketdata.ports import CandleStore, CandleSubscriber


class NatsCandleSubscriber:
    """Bridge a market's candle subject (core NATS) to a callback, for ``StreamCandles``."""

    def __init__(self, bus: NatsBus, *, root: str) -> None:
        self._bus = bus
        self._root = root

    @asynccontextmanager
    async def subscribe_candles(
        self, key: MarketKey, on_event: Callable[[market_data_pb2.CandleClosed], None]
    ) -> AsyncIterator[None]:
        """Call ``on_event`` with each closed candle of the market while the context is open."""

        async def handle(message: Message, _subject: str) -> None:
            if isinstance(message, market_data_pb2.CandleClosed) and message.candle.closed:
                on_event(message)

        subject = subjects.candles(self._root, key.exchange, key.symbol, key.timeframe)
        subscription = await self._bus.subscribe(subject, handle, [market_data_pb2.CandleClosed])
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()


class MarketDataServicer(pb_grpc.MarketDataServiceServicer):
    """Answer market data queries; every store call runs in a worker thread."""

    def __init__(
        self,
        store: CandleStore,
        status: ReplayStatus | Sequence[ReplayStatus],
        *,
        exchange: str,
        candles: CandleSubscriber | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self._store = store
        # One status per replayed market; the first is the primary one GetReplayStatus reports.
        self._statuses = [status] if isinstance(status, ReplayStatus) else list(status)
        self._exchange = exchange
        self._candles = candles
        self._stop = stop or asyncio.Event()

    def _status_for(self, key: MarketKey) -> ReplayStatus | None:
        for status in self._statuses:
            if status.key == key:
                return status
        # A replay still choosing its source has no key yet: let the query say "ask again".
        return next((status for status in self._statuses if status.key is None), None)

    def _status_of(self, exchange: str, symbol: str) -> ReplayStatus:
        for status in self._statuses:
            if status.key is not None and (status.key.exchange, status.key.symbol) == (
                exchange,
                symbol,
            ):
                return status
        return self._statuses[0]

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
            status=self._status_for(
                MarketKey.parse(request.exchange, request.symbol, request.timeframe)
            ),
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
            self._status_of(request.exchange, request.symbol),
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
        status = self._statuses[0]
        return pb.GetReplayStatusResponse(
            source=status.source,
            synthetic=status.synthetic,
            published=status.published,
            total=status.total,
            finished=status.finished,
            last_open_time_ms=status.last_open_time_ms,
        )

    @override
    async def StreamCandles(
        self, request: pb.StreamCandlesRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamCandlesResponse]:
        try:
            key = MarketKey.parse(request.exchange, request.symbol, request.timeframe)
            await asyncio.to_thread(handlers.check_streamable, self._store, self._statuses, key)
        except InvalidInput as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            return
        candles = self._candles
        if candles is None:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "live candles are not available")
            return
        events: asyncio.Queue[market_data_pb2.CandleClosed] = asyncio.Queue()
        async with candles.subscribe_candles(key, events.put_nowait):
            while not self._stop.is_set():
                getter = asyncio.ensure_future(events.get())
                stopper = asyncio.ensure_future(self._stop.wait())
                try:
                    await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopper.cancel()
                    if not getter.done():
                        getter.cancel()
                if getter.done() and not getter.cancelled():
                    yield pb.StreamCandlesResponse(event=getter.result())
