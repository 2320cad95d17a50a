"""Websocket market data over ccxt.pro: kline, trade, ticker and book streams of one exchange."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Timeframe
from crypto_trader.marketdata.adapters.exchanges.ccxt_exchange import CcxtExchange, split_candles
from crypto_trader.marketdata.adapters.exchanges.record import OrderBook, Ticker
from crypto_trader.marketdata.domain.market import CandleBatch
from crypto_trader.marketdata.domain.trade import TradeTick

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _KlineWatch:
    # Rows not handed over yet (the forming candle, or ones a burst of updates closed), by open.
    rows: dict[int, Any] = field(default_factory=dict)
    # Exchange time when the stream last spoke: what may close a candle by time.
    heard_ms: int | None = None
    # Open time of the newest candle handed over as closed: older rows are history.
    handed_ms: int | None = None
    pending: asyncio.Future[Any] | None = None
    # The websocket connections the rows came over: only an unbroken connection proves that a
    # candle's last update was its final one.
    connections: frozenset[tuple[str, int]] = frozenset()


class CcxtStreamExchange(CcxtExchange):
    """A ``CcxtExchange`` whose client is ccxt.pro's: the same REST calls, plus websocket watches.

    Which streams an exchange has is read from ccxt's ``has`` at run time (``watchOHLCV`` is
    missing on some, e.g. Coinbase); callers keep using REST where ``streams`` says no. Kline
    updates repeat the forming candle; ``watch_candles`` hands a candle over as closed by the
    REST adapter's rule (``split_candles``): a later candle arrived, or the exchange time of the
    latest update passed its close. An exchange without ccxt.pro support gets the REST client.
    """

    def __init__(self, exchange_id: str, **options: Any) -> None:
        super().__init__(exchange_id, **options)
        self._watches: dict[tuple[str, str], _KlineWatch] = {}

    def _client_class(self, ccxt_id: str) -> Any:
        import ccxt.pro

        if ccxt_id in ccxt.pro.exchanges:
            return getattr(ccxt.pro, ccxt_id)
        return super()._client_class(ccxt_id)

    def streams(self, method: str) -> bool:
        """Tell whether the exchange has a websocket stream for a ccxt method (``watchOHLCV``)."""
        return bool(self._client.has.get(method))

    async def watch_candles(
        self, symbol: str, timeframe: str, *, timeout_seconds: float
    ) -> CandleBatch:
        """Wait up to ``timeout_seconds`` for kline updates; return what closed and the forming one.

        The forming candle comes back only when an update changed it. A timeout is not an error:
        the batch is then empty.

        Raises
        ------
        RetryableError
            When the stream failed (disconnect, timeout, exchange unavailable); the market's
            stream state is dropped, so the next call subscribes afresh.
        InvalidInput
            When the exchange has no stream for this market or timeframe.
        """
        Timeframe(timeframe)
        watch = self._watches.setdefault((symbol, timeframe), _KlineWatch())
        if watch.pending is None:
            watch.pending = self._watch_ohlcv(symbol, timeframe)
        done, _ = await asyncio.wait({watch.pending}, timeout=timeout_seconds)
        if done:
            try:
                await self._call("watchOHLCV", watch.pending)
            except Exception:
                await self._forget(symbol, timeframe)
                raise
            watch.pending = self._watch_ohlcv(symbol, timeframe)
            connections = self._connections()
            if not connections >= watch.connections and watch.connections:
                # ccxt reconnected quietly between two watches: updates may be missing, and its
                # cache still holds rows from before the break.
                await self._forget(symbol, timeframe)
                raise RetryableError(f"{self.exchange_id} kline stream of {symbol} reconnected")
            watch.connections = connections
        # ccxt resolves a watch only for updates that arrive while one waits, but it caches every
        # row: read the cache, so an update that arrived between two calls is not held back.
        fresh = {
            int(row[0]): tuple(row)  # a copy: ccxt updates its rows in place
            for row in self._cached_rows(symbol, timeframe)
            if watch.handed_ms is None or int(row[0]) > watch.handed_ms
        }
        heard = done or any(watch.rows.get(t) != row for t, row in fresh.items())
        if heard:
            watch.heard_ms = self.now_ms()
        watch.rows.update(fresh)
        if watch.heard_ms is None:
            return CandleBatch(())
        batch = split_candles(
            self.exchange_id, symbol, timeframe, watch.rows.values(), now_ms=watch.heard_ms
        )
        if batch.closed:
            watch.handed_ms = batch.closed[-1].open_time_ms
        watch.rows = {
            open_time: row
            for open_time, row in watch.rows.items()
            if watch.handed_ms is None or open_time > watch.handed_ms
        }
        # The forming candle only when an update brought it: a repeat would tell nothing new.
        return batch if heard else CandleBatch(batch.closed)

    async def watch_trades(self, symbol: str) -> list[TradeTick]:
        """Wait for the next public trades of the market, oldest first (as ``fetch_trades``)."""
        raw = await self._call("watchTrades", self._client.watch_trades(symbol))
        return self._trades(raw)

    async def watch_ticker(self, symbol: str) -> Ticker:
        """Wait for the market's next ticker update."""
        return self._ticker(await self._call("watchTicker", self._client.watch_ticker(symbol)))

    async def watch_order_book(self, symbol: str, *, limit: int | None = None) -> OrderBook:
        """Wait for the market's next order book update (ccxt keeps the book in sync)."""
        raw = await self._call("watchOrderBook", self._client.watch_order_book(symbol, limit))
        return self._order_book(raw, symbol)

    async def stop_watching(self, symbol: str, timeframe: str) -> None:
        """Stop waiting for the market's klines and forget its partial candles.

        The connection stays open: other markets may share it. ``close`` ends them all.
        """
        await self._forget(symbol, timeframe)

    async def close(self) -> None:
        """Close the websocket connections and the HTTP session."""
        for symbol, timeframe in list(self._watches):
            await self._forget(symbol, timeframe)
        await super().close()

    def _watch_ohlcv(self, symbol: str, timeframe: str) -> asyncio.Future[Any]:
        return asyncio.ensure_future(self._client.watch_ohlcv(symbol, timeframe))

    def _cached_rows(self, symbol: str, timeframe: str) -> list[Any]:
        market_symbol = self._client.market(symbol)["symbol"] if self._client.markets else symbol
        by_timeframe = (self._client.ohlcvs or {}).get(market_symbol) or {}
        return list(by_timeframe.get(timeframe) or [])

    def _connections(self) -> frozenset[tuple[str, int]]:
        clients = self._client.clients or {}
        return frozenset((url, id(client)) for url, client in clients.items())

    async def _forget(self, symbol: str, timeframe: str) -> None:
        watch = self._watches.pop((symbol, timeframe), None)
        if watch is not None and watch.pending is not None:
            watch.pending.add_done_callback(_consume)
            watch.pending.cancel()
        # ccxt keeps the rows it received; after a reconnect a stale partial candle from before
        # the outage must not come back as if it were new.
        market_symbol = self._client.market(symbol)["symbol"] if self._client.markets else symbol
        ((self._client.ohlcvs or {}).get(market_symbol) or {}).pop(timeframe, None)


def _consume(future: asyncio.Future[Any]) -> None:
    # A dropped watch may have failed meanwhile; nobody will ask, so asyncio must not complain.
    if not future.cancelled():
        future.exception()


def candle_streams(exchanges: Mapping[str, CcxtExchange]) -> dict[str, CcxtStreamExchange]:
    """Pick the exchanges whose websocket API has klines (ccxt's ``has``, read at run time)."""
    return {
        name: exchange
        for name, exchange in exchanges.items()
        if isinstance(exchange, CcxtStreamExchange) and exchange.streams("watchOHLCV")
    }
