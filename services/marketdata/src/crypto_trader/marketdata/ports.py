"""What the use cases need from the outside world, as protocols (SQLAlchemy, NATS, ccxt, fakes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from crypto_trader.common.model import Candle
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.marketdata.domain.import_report import ImportReport
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey
from crypto_trader.marketdata.domain.trade import TradeOrder, TradeTick


class CandleStore(Protocol):
    """Closed candles, stored once per market and open time."""

    def add_candles(self, candles: Sequence[Candle]) -> int:
        """Store the candles not stored yet and return how many were new."""
        ...

    def read_candles(
        self,
        key: MarketKey,
        *,
        start_ms: int = 0,
        end_ms: int | None = None,
        limit: int | None = None,
        from_end: bool = False,
    ) -> list[Candle]:
        """Return candles opened in [start_ms, end_ms), oldest first (the newest with from_end)."""
        ...

    def count_candles(self, key: MarketKey, *, start_ms: int = 0, end_ms: int | None = None) -> int:
        """Count the candles with open times in [start_ms, end_ms)."""
        ...

    def nth_open_time(
        self, key: MarketKey, *, start_ms: int, end_ms: int | None, n: int
    ) -> int | None:
        """Return the open time of the n-th (1-based) candle from ``start_ms``, or None if fewer."""
        ...

    def has_candles(self, key: MarketKey) -> bool:
        """Tell whether any candle of the market is stored."""
        ...

    def coverage(self, exchange: str | None = None) -> list[MarketCoverage]:
        """List every stored market (of one exchange, if given) with its range and count."""
        ...

    def latest_candle(
        self, key: MarketKey, *, until_open_time_ms: int | None = None
    ) -> Candle | None:
        """Return the newest candle of the market (opened at or before a time, if given)."""
        ...


class ReplayCursors(Protocol):
    """Where each market's replay stopped, kept across restarts."""

    def load_cursor(self, key: MarketKey) -> int | None:
        """Return the open time of the last candle published, or None before the first."""
        ...

    def save_cursor(self, key: MarketKey, open_time_ms: int) -> None:
        """Remember the open time of the last candle published."""
        ...


class CandlePublisher(Protocol):
    """Announce closed candles to the rest of the platform."""

    async def publish(self, candle: Candle) -> None:
        """Publish one closed candle durably; a repeat of the same candle is absorbed downstream."""
        ...


class FormingCandlePublisher(Protocol):
    """Announce the still-forming candle of a market (lossy: a newer update replaces it)."""

    async def publish_forming(self, candle: Candle) -> None:
        """Publish one forming candle (``closed`` False) without storing it."""
        ...


class CandleSubscriber(Protocol):
    """Live candle events of one market, as published on the bus."""

    def subscribe_candles(
        self, key: MarketKey, on_event: Callable[[market_data_pb2.CandleClosed], None]
    ) -> AbstractAsyncContextManager[None]:
        """Call ``on_event`` with each candle event of the market while the context is open."""
        ...


class LastPriceCache(Protocol):
    """The latest price of each market, shared with every service."""

    async def set_last(self, exchange: str, symbol: str, price: Decimal, ts_ms: int) -> bool:
        """Store the price unless a newer one is cached; return whether it was stored."""
        ...


class TradeStore(Protocol):
    """Public trades, stored once per exchange, symbol and trade id, plus the replay's cursors."""

    def add_trades(self, trades: Sequence[TradeTick]) -> int:
        """Store the trades not stored yet and return how many were new."""
        ...

    def read_trades(
        self,
        exchange: str,
        symbol: str,
        *,
        start_ms: int = 0,
        end_ms: int | None = None,
        after: TradeOrder | None = None,
        limit: int | None = None,
    ) -> list[TradeTick]:
        """Return trades stamped in [start_ms, end_ms), past ``after``, in replay order."""
        ...

    def load_trade_cursor(self, exchange: str, symbol: str) -> TradeOrder | None:
        """Return the replay order of the last trade published, or None before the first."""
        ...

    def save_trade_cursor(self, trade: TradeTick) -> None:
        """Remember the last trade published."""
        ...


class TradePublisher(Protocol):
    """Announce public trades to the rest of the platform."""

    async def publish_trade(self, trade: TradeTick) -> None:
        """Publish one trade (lossy, like the live feed's); RetryableError when the bus is away."""
        ...


class ConsumerLag(Protocol):
    """How far the consumers of the candle stream are behind what was published."""

    async def lag(self) -> int:
        """Return the most candles any live durable consumer has not acknowledged yet.

        Raises
        ------
        RetryableError
            When the broker cannot tell now.
        """
        ...


CandleFileImport = Callable[[Path], ImportReport]
"""Import a candle file into the store (blocking) and report what happened."""
