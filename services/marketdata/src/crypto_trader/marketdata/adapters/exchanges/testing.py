"""A local HTTP stand-in for exchange REST APIs on 127.0.0.1, for adapter and failover tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

from crypto_trader.common.model import Timeframe
from crypto_trader.marketdata.adapters.exchanges.stand_in_books import Level, StandInBook
from crypto_trader.marketdata.adapters.exchanges.stand_in_responses import (
    PATH_ROUTES,
    ROUTES,
    SERIES_START_MS,
    STAND_IN_MARKETS,
    Route,
    series_row,
)
from crypto_trader.marketdata.adapters.exchanges.stand_in_streams import (
    STREAM_DIALECTS,
    StreamDialect,
    StreamTrade,
)

__all__ = [
    "ROUTES",
    "SERIES_START_MS",
    "STAND_IN_MARKETS",
    "StandInBook",
    "StandInExchange",
    "StreamTrade",
    "partial_row",
    "series_row",
]


def partial_row(open_time_ms: int, timeframe: str) -> tuple[int, str, str, str, str, str]:
    """Return the series' candle as it looks while forming: inside its final range, less volume."""
    _, o, _, _, _, _ = series_row(open_time_ms, timeframe)
    up = str(Decimal(o) + 1)
    return open_time_ms, o, up, o, up, "0.5"


@dataclass(eq=False)
class _Socket:
    ws: web.WebSocketResponse
    topics: set[str] = field(default_factory=set)


@dataclass
class StandInExchange:
    """Serve one exchange's public REST and websocket endpoints on 127.0.0.1, clock controlled.

    Candles of ``timeframe`` run from ``SERIES_START_MS`` up to the one containing the server's
    now (the still-forming one included, as exchanges do). ``fail_status`` makes every request
    fail with that HTTP status (429, 503, ...) until cleared, websocket handshakes included;
    ``requests`` records the path and query string of every request received. Websocket clients
    subscribe as on the real exchange (Binance, Bybit, OKX); the test pushes each stream message
    (``push_candle``, ``push_trade``, ``push_ticker``, ``push_book_update``) and can drop every
    connection. ``book`` is the market's order book: the REST depth snapshot (Binance) and the
    depth snapshot pushed on a book subscription (Bybit, OKX) show it as it is at that moment.
    """

    exchange_id: str
    now_ms: Callable[[], int]
    timeframe: str = "1m"
    clock_skew_ms: int = 0
    fail_status: int | None = None
    # Per-path answers replacing the built-in ones (recorded exchange bodies, extra markets).
    overrides: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    book: StandInBook = field(default_factory=StandInBook)
    unknown: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _sockets: list[_Socket] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        """Base URL to point ccxt's ``urls['api']`` at."""
        return f"http://127.0.0.1:{self.port}"

    def server_now_ms(self) -> int:
        """Return the exchange's own clock (the shared clock plus its skew)."""
        return self.now_ms() + self.clock_skew_ms

    def rows(self) -> list[tuple[int, str, str, str, str, str]]:
        """Return the series up to and including the forming candle, oldest first."""
        step = Timeframe(self.timeframe).milliseconds
        now = self.server_now_ms()
        last = now - (now - SERIES_START_MS) % step
        return [series_row(t, self.timeframe) for t in range(SERIES_START_MS, last + 1, step)]

    async def start(self) -> StandInExchange:
        """Listen on a random free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        """Drop the websocket clients and stop listening."""
        await self.drop_websockets()
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------------------------- streams

    def subscribers(self, topic: str) -> int:
        """Count the open websocket connections subscribed to a topic (``btcusdt@kline_1m``)."""
        return sum(1 for socket in self._sockets if topic in socket.topics)

    def kline_topic(self) -> str:
        """Return the exchange's kline topic of the stand-in market and timeframe."""
        return STREAM_DIALECTS[self.exchange_id].kline_topic(self.timeframe)

    async def push_candle(self, open_time_ms: int, *, final: bool = True) -> int:
        """Push a kline update of the series (a forming one unless ``final``); return the reach."""
        dialect = STREAM_DIALECTS[self.exchange_id]
        row_of = series_row if final else partial_row
        message = dialect.kline(
            row_of(open_time_ms, self.timeframe), self.timeframe, final, self.server_now_ms()
        )
        return await self._push(dialect.kline_topic(self.timeframe), message)

    async def push_trade(self, trade: StreamTrade) -> int:
        """Push one public trade; return how many connections it reached."""
        dialect = STREAM_DIALECTS[self.exchange_id]
        return await self._push(dialect.trade_topic, dialect.trade(trade, self.server_now_ms()))

    async def push_ticker(self) -> int:
        """Push a ticker built from the forming candle; return how many connections it reached."""
        dialect = STREAM_DIALECTS[self.exchange_id]
        message = dialect.ticker(self.rows()[-1], self.server_now_ms())
        return await self._push(dialect.ticker_topic, message)

    def book_topic(self) -> str:
        """Return the exchange's depth topic of the stand-in market."""
        return STREAM_DIALECTS[self.exchange_id].book_topic

    async def push_book_update(
        self, *, bids: list[Level] | None = None, asks: list[Level] | None = None, skip_ids: int = 0
    ) -> int:
        """Change the book (amount "0" removes a level) and push the diff; return the reach.

        ``skip_ids`` numbers the update as if messages before it were lost.
        """
        dialect = STREAM_DIALECTS[self.exchange_id]
        update = self.book.apply(bids or [], asks or [], skip_ids=skip_ids)
        message = dialect.book_update(update, self.book, self.server_now_ms())
        return await self._push(dialect.book_topic, message)

    async def drop_websockets(self) -> None:
        """Close every websocket connection, as an exchange restarting its gateway does."""
        for socket in list(self._sockets):
            await socket.ws.close(code=1001, message=b"stand-in going away")

    async def _push(self, topic: str, message: Any) -> int:
        reached = [socket for socket in self._sockets if topic in socket.topics]
        for socket in reached:
            await socket.ws.send_str(json.dumps(message))
        return len(reached)

    async def _stream(self, request: web.Request) -> web.StreamResponse:
        dialect = STREAM_DIALECTS.get(self.exchange_id)
        if dialect is None:
            self.unknown.append(request.path)
            return web.Response(status=404, text=f"no stand-in stream for {self.exchange_id}")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        socket = _Socket(ws)
        self._sockets.append(socket)
        try:
            async for frame in ws:
                if frame.type == WSMsgType.TEXT:
                    had_book = dialect.book_topic in socket.topics
                    for answer in dialect.answer(frame.data, socket.topics):
                        text = answer if isinstance(answer, str) else json.dumps(answer)
                        await ws.send_str(text)
                    if not had_book and dialect.book_topic in socket.topics:
                        await self._send_book_snapshot(socket, dialect)
        finally:
            self._sockets.remove(socket)
        return ws

    async def _send_book_snapshot(self, socket: _Socket, dialect: StreamDialect) -> None:
        # As the exchange does: the book's snapshot follows the subscription (unless it is REST's).
        if dialect.book_snapshot is not None:
            snapshot = dialect.book_snapshot(self.book, self.server_now_ms())
            await socket.ws.send_str(json.dumps(snapshot))

    # ------------------------------------------------------------------------------- REST

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        if self.fail_status is not None:
            return web.Response(status=self.fail_status, text="stand-in failure")
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._stream(request)
        route = self.overrides.get(request.path) or ROUTES[self.exchange_id].get(request.path)
        if route is None:
            route = _prefixed_route(self.exchange_id, request.path)
        if route is None:
            self.unknown.append(request.path)
            return web.Response(status=404, text=f"no stand-in for {request.path}")
        body = route(self, dict(request.query))
        return web.Response(text=json.dumps(body), content_type="application/json")


def _prefixed_route(exchange_id: str, path: str) -> Route | None:
    # Coinbase puts the product id in the path: /api/v3/brokerage/market/products/BTC-USD/candles.
    for pattern, route in PATH_ROUTES.get(exchange_id, {}).items():
        if path.startswith(pattern[0]) and path.endswith(pattern[1]):
            return route
    return None
