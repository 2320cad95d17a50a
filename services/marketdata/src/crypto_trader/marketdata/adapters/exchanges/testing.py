"""A local HTTP stand-in for exchange REST APIs on 127.0.0.1, for adapter and failover tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from crypto_trader.common.model import Timeframe
from crypto_trader.marketdata.adapters.exchanges.stand_in_responses import (
    PATH_ROUTES,
    ROUTES,
    SERIES_START_MS,
    STAND_IN_MARKETS,
    Route,
    series_row,
)

__all__ = ["ROUTES", "SERIES_START_MS", "STAND_IN_MARKETS", "StandInExchange", "series_row"]


@dataclass
class StandInExchange:
    """Serve one exchange's public REST endpoints on 127.0.0.1 with a controllable clock.

    Candles of ``timeframe`` run from ``SERIES_START_MS`` up to the one containing the server's
    now (the still-forming one included, as exchanges do). ``fail_status`` makes every request
    fail with that HTTP status (429, 503, ...) until cleared; ``requests`` records the path and
    query string of every request received.
    """

    exchange_id: str
    now_ms: Callable[[], int]
    timeframe: str = "1m"
    clock_skew_ms: int = 0
    fail_status: int | None = None
    # Per-path answers replacing the built-in ones (recorded exchange bodies, extra markets).
    overrides: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    _runner: web.AppRunner | None = None
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
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        if self.fail_status is not None:
            return web.Response(status=self.fail_status, text="stand-in failure")
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
