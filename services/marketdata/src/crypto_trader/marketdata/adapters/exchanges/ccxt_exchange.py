"""One market data adapter for every exchange, over ccxt's unified async REST API."""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Awaitable, Iterable
from decimal import Decimal
from typing import Any, TypeVar

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.common.model import Candle, Timeframe
from crypto_trader.marketdata.adapters.exchanges.profile import profile_for
from crypto_trader.marketdata.adapters.exchanges.record import MarketRules, OrderBook, Ticker
from crypto_trader.marketdata.domain.market import CandleBatch
from crypto_trader.marketdata.domain.trade import TradeTick, parse_side

log = logging.getLogger(__name__)

T = TypeVar("T")

_HOST = re.compile(r"^https?://[^/]+")
_WS_HOST = re.compile(r"^wss?://[^/]+")


def to_decimal_or_none(value: Any) -> Decimal | None:
    """Turn a ccxt number into an exact Decimal (None stays None)."""
    if value is None:
        return None
    # ccxt parses the exchange's decimal strings into floats; their shortest repr is that string.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def _required(value: Any, what: str) -> Decimal:
    number = to_decimal_or_none(value)
    if number is None:
        raise InvalidInput(f"exchange sent no {what}")
    return number


def split_candles(
    exchange: str, symbol: str, timeframe: str, rows: Iterable[list[Any]], *, now_ms: int
) -> CandleBatch:
    """Turn ccxt OHLCV rows into closed candles (oldest first) and the newest still-forming one.

    A candle is closed once ``now_ms`` (exchange time) has reached its close time, or once the
    exchange has sent a later candle (a websocket kline update repeats the forming candle until the
    next one starts). Rows that do not make valid candles are skipped and logged: one exchange
    glitch must not stop the feed.
    """
    step = Timeframe(timeframe).milliseconds
    by_open: dict[int, Any] = {int(row[0]): row for row in rows}
    newest = max(by_open, default=0)
    closed: list[Candle] = []
    forming: Candle | None = None
    for open_time in sorted(by_open):
        row = by_open[open_time]
        is_closed = open_time + step <= now_ms or open_time < newest
        try:
            o, h, low, c, v = (_required(value, "price") for value in row[1:6])
            candle = Candle(exchange, symbol, timeframe, open_time, o, h, low, c, v, is_closed)
        except (InvalidInput, ArithmeticError, TypeError, ValueError) as error:
            log.warning("skipped %s candle %s of %s: %s", exchange, open_time, symbol, error)
            continue
        if is_closed:
            closed.append(candle)
        else:
            forming = candle
    return CandleBatch(tuple(closed), forming)


def _point_at(urls: Any, base_url: str) -> Any:
    if isinstance(urls, str):
        base = base_url.rstrip("/")
        if _WS_HOST.match(urls):
            # The same host serves the websocket streams: http becomes ws, https wss.
            return _WS_HOST.sub("ws" + base.removeprefix("http"), urls)
        return _HOST.sub(base, urls)
    if isinstance(urls, dict):
        return {name: _point_at(value, base_url) for name, value in urls.items()}
    return urls


class CcxtExchange:
    """Markets, OHLCV, ticker, trades and order book of one exchange, with exact decimals.

    The exchange is data: its ccxt id picks the ccxt class and the options from the profile
    table. ccxt's rate limiter is always on. The exchange's clock is fetched (when the exchange
    publishes it) and kept as an offset, so candles are called closed by exchange time.
    """

    def __init__(
        self,
        exchange_id: str,
        *,
        clock: Clock,
        timeout_seconds: float = 10.0,
        api_base_url: str | None = None,
        rate_limit_ms: int | None = None,
        time_sync_interval_ms: int = 600_000,
    ) -> None:
        profile = profile_for(exchange_id)
        config: dict[str, Any] = {
            "enableRateLimit": True,
            "timeout": int(timeout_seconds * 1000),
            "options": copy.deepcopy(dict(profile.options)),
            # Currencies come from authenticated endpoints on most exchanges; markets suffice.
            "has": {"fetchCurrencies": False},
        }
        if rate_limit_ms is not None:
            config["rateLimit"] = rate_limit_ms
        self.exchange_id = exchange_id
        self._client: Any = self._client_class(profile.ccxt_id)(config)
        if api_base_url is not None:
            # A stand-in (tests) or a relay: every REST and websocket endpoint keeps its path.
            self._client.urls["api"] = _point_at(self._client.urls["api"], api_base_url)
            if api_base_url.startswith("http://"):
                # ccxt lingers on close so TLS connections shut down cleanly; plain HTTP has none.
                self._client.timeout_on_exit = 0
        self._clock = clock
        self._time_sync_interval_ms = time_sync_interval_ms
        self._offset_ms = 0
        self._synced_at_ms: int | None = None

    def _client_class(self, ccxt_id: str) -> Any:
        # Imported here: ccxt takes a second to import and many runs never talk to an exchange.
        import ccxt.async_support as ccxt_async

        return getattr(ccxt_async, ccxt_id)

    async def __aenter__(self) -> CcxtExchange:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._client.close()

    # ------------------------------------------------------------------------------- time

    @property
    def clock_offset_ms(self) -> int:
        """Exchange time minus local time, as last measured (0 before the first sync)."""
        return self._offset_ms

    def now_ms(self) -> int:
        """Return the current exchange time (local clock plus the measured offset)."""
        return self._clock.now_ms() + self._offset_ms

    async def sync_time(self) -> int:
        """Measure the exchange clock's offset (when the exchange publishes its time); return it."""
        if not self._client.has.get("fetchTime"):
            self._synced_at_ms = self._clock.now_ms()
            return self._offset_ms
        sent = self._clock.now_ms()
        server_ms = await self._call("fetchTime", self._client.fetch_time())
        received = self._clock.now_ms()
        if server_ms is not None:
            # The server read its clock about half-way through the round trip.
            self._offset_ms = int(server_ms) - (sent + received) // 2
        self._synced_at_ms = received
        return self._offset_ms

    async def _ensure_time(self) -> None:
        now = self._clock.now_ms()
        if self._synced_at_ms is None or now - self._synced_at_ms >= self._time_sync_interval_ms:
            await self.sync_time()

    # ------------------------------------------------------------------------------- data

    async def load_markets(self, *, reload: bool = False) -> dict[str, MarketRules]:
        """Load the exchange's markets with their increments and limits, by unified symbol."""
        markets = await self._call("loadMarkets", self._client.load_markets(reload))
        return {symbol: self._rules(market) for symbol, market in markets.items()}

    async def fetch_candles(
        self, symbol: str, timeframe: str, *, since_ms: int | None = None, limit: int | None = None
    ) -> CandleBatch:
        """Fetch OHLCV from ``since_ms`` (the newest without it), split into closed and forming."""
        Timeframe(timeframe)
        await self._ensure_time()
        rows = await self._call(
            "fetchOHLCV", self._client.fetch_ohlcv(symbol, timeframe, since_ms, limit)
        )
        return split_candles(self.exchange_id, symbol, timeframe, rows, now_ms=self.now_ms())

    async def fetch_ticker(self, symbol: str) -> Ticker:
        """Fetch the market's ticker."""
        raw = await self._call("fetchTicker", self._client.fetch_ticker(symbol))
        return self._ticker(raw)

    async def fetch_trades(
        self, symbol: str, *, since_ms: int | None = None, limit: int | None = None
    ) -> list[TradeTick]:
        """Fetch recent public trades, oldest first (a trade without id or side is skipped)."""
        raw = await self._call("fetchTrades", self._client.fetch_trades(symbol, since_ms, limit))
        return self._trades(raw)

    async def fetch_order_book(self, symbol: str, *, limit: int | None = None) -> OrderBook:
        """Fetch the order book (best levels first on both sides)."""
        raw = await self._call("fetchOrderBook", self._client.fetch_order_book(symbol, limit))
        return self._order_book(raw, symbol)

    # ------------------------------------------------------------------------------- mapping

    async def _call(self, what: str, call: Awaitable[T]) -> T:
        import ccxt

        try:
            return await call
        except (ccxt.BadRequest, ccxt.NotSupported) as error:
            # BadSymbol is a BadRequest: asking again cannot help.
            raise InvalidInput(f"{self.exchange_id} {what}: {error}") from error
        except ccxt.NetworkError as error:
            # RequestTimeout, ExchangeNotAvailable, RateLimitExceeded (DDoSProtection) are here.
            raise RetryableError(
                f"{self.exchange_id} {what} failed ({type(error).__name__}): {error}"
            ) from error
        except ccxt.BaseError as error:
            # An unmapped exchange error says nothing about the request; another try (or another
            # provider) may well succeed.
            raise RetryableError(
                f"{self.exchange_id} {what} failed ({type(error).__name__}): {error}"
            ) from error
        except (TimeoutError, OSError) as error:
            raise RetryableError(f"{self.exchange_id} {what} failed: {error!r}") from error

    def _increment(self, value: Any) -> Decimal | None:
        from ccxt.base.decimal_to_precision import DECIMAL_PLACES

        number = to_decimal_or_none(value)
        if number is None or self._client.precisionMode != DECIMAL_PLACES:
            return number
        return Decimal(1).scaleb(-int(number))

    def _rules(self, market: dict[str, Any]) -> MarketRules:
        precision = market.get("precision") or {}
        limits = market.get("limits") or {}
        amount = limits.get("amount") or {}
        cost = limits.get("cost") or {}
        return MarketRules(
            exchange=self.exchange_id,
            symbol=market["symbol"],
            market_id=str(market["id"]),
            base=market["base"],
            quote=market["quote"],
            active=market.get("active") is not False,
            price_increment=self._increment(precision.get("price")),
            amount_increment=self._increment(precision.get("amount")),
            min_amount=to_decimal_or_none(amount.get("min")),
            max_amount=to_decimal_or_none(amount.get("max")),
            min_cost=to_decimal_or_none(cost.get("min")),
            max_cost=to_decimal_or_none(cost.get("max")),
        )

    def _ticker(self, raw: dict[str, Any]) -> Ticker:
        return Ticker(
            exchange=self.exchange_id,
            symbol=raw["symbol"],
            ts_event=raw.get("timestamp"),
            bid=to_decimal_or_none(raw.get("bid")),
            ask=to_decimal_or_none(raw.get("ask")),
            last=to_decimal_or_none(raw.get("last")),
            base_volume=to_decimal_or_none(raw.get("baseVolume")),
        )

    def _order_book(self, raw: dict[str, Any], symbol: str) -> OrderBook:
        return OrderBook(
            exchange=self.exchange_id,
            symbol=raw.get("symbol") or symbol,
            ts_event=raw.get("timestamp"),
            bids=tuple(self._level(level) for level in raw["bids"]),
            asks=tuple(self._level(level) for level in raw["asks"]),
        )

    def _trades(self, raw: Iterable[dict[str, Any]]) -> list[TradeTick]:
        # The store keys trades by id and the event carries the taker's side: a trade without
        # either cannot be kept or replayed, so it is skipped and logged like a bad candle row.
        trades = []
        for item in raw:
            try:
                trades.append(self._trade(item))
            except (InvalidInput, ArithmeticError, KeyError, TypeError, ValueError) as error:
                log.warning("skipped %s trade %s: %s", self.exchange_id, item.get("id"), error)
        return trades

    def _trade(self, raw: dict[str, Any]) -> TradeTick:
        return TradeTick(
            exchange=self.exchange_id,
            symbol=raw["symbol"],
            trade_id="" if raw.get("id") is None else str(raw["id"]),
            ts_event=int(raw["timestamp"]),
            side=parse_side(raw.get("side")),
            price=_required(raw.get("price"), "trade price"),
            amount=_required(raw.get("amount"), "trade amount"),
        )

    @staticmethod
    def _level(level: list[Any]) -> tuple[Decimal, Decimal]:
        return _required(level[0], "book price"), _required(level[1], "book amount")
