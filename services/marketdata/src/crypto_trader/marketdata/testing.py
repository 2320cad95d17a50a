"""In-memory fakes of the market data ports, and candle builders, for tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.common.model import Candle, Side
from crypto_trader.marketdata.domain.import_report import ImportReport
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey
from crypto_trader.marketdata.domain.trade import TradeOrder, TradeTick

BTC_5M = MarketKey("binance", "BTC/USDT", "5m")
START_MS = 1_606_780_800_000  # 2020-12-01 00:00 UTC


def make_candles(
    key: MarketKey = BTC_5M,
    *,
    count: int,
    start_ms: int = START_MS,
    price: Decimal = Decimal("100"),
    synthetic: bool = False,
) -> list[Candle]:
    """Build consecutive valid candles whose close rises by one each time."""
    step = key.timeframe_ms
    return [
        Candle(
            exchange=key.exchange,
            symbol=key.symbol,
            timeframe=key.timeframe,
            open_time_ms=start_ms + index * step,
            open=price + index,
            high=price + index + 2,
            low=price + index - 1,
            close=price + index + 1,
            volume=Decimal("1.5"),
            synthetic=synthetic,
        )
        for index in range(count)
    ]


def _key(candle: Candle) -> MarketKey:
    return MarketKey(candle.exchange, candle.symbol, candle.timeframe)


class InMemoryCandleStore:
    """A candle store and replay cursors held in dicts."""

    def __init__(self, candles: Sequence[Candle] = ()) -> None:
        self.candles: dict[MarketKey, dict[int, Candle]] = {}
        self.cursors: dict[MarketKey, int] = {}
        self.add_candles(candles)

    def add_candles(self, candles: Sequence[Candle]) -> int:
        stored = 0
        for candle in candles:
            series = self.candles.setdefault(_key(candle), {})
            if candle.open_time_ms not in series:
                series[candle.open_time_ms] = candle
                stored += 1
        return stored

    def read_candles(
        self,
        key: MarketKey,
        *,
        start_ms: int = 0,
        end_ms: int | None = None,
        limit: int | None = None,
        from_end: bool = False,
    ) -> list[Candle]:
        series = self.candles.get(key, {})
        selected = [
            series[time]
            for time in sorted(series)
            if time >= start_ms and (end_ms is None or time < end_ms)
        ]
        if limit is None:
            return selected
        return selected[-limit:] if from_end else selected[:limit]

    def count_candles(self, key: MarketKey, *, start_ms: int = 0, end_ms: int | None = None) -> int:
        return len(self.read_candles(key, start_ms=start_ms, end_ms=end_ms))

    def nth_open_time(
        self, key: MarketKey, *, start_ms: int, end_ms: int | None, n: int
    ) -> int | None:
        selected = self.read_candles(key, start_ms=start_ms, end_ms=end_ms)
        return selected[n - 1].open_time_ms if len(selected) >= n else None

    def has_candles(self, key: MarketKey) -> bool:
        return bool(self.candles.get(key))

    def coverage(self, exchange: str | None = None) -> list[MarketCoverage]:
        return [
            MarketCoverage(
                key=key,
                first_open_time_ms=min(series),
                last_open_time_ms=max(series),
                candle_count=len(series),
                synthetic=any(candle.synthetic for candle in series.values()),
            )
            for key, series in sorted(self.candles.items(), key=lambda item: str(item[0]))
            if series and (exchange is None or key.exchange == exchange)
        ]

    def latest_candle(
        self, key: MarketKey, *, until_open_time_ms: int | None = None
    ) -> Candle | None:
        end = None if until_open_time_ms is None else until_open_time_ms + 1
        found = self.read_candles(key, end_ms=end, limit=1, from_end=True)
        return found[0] if found else None

    def load_cursor(self, key: MarketKey) -> int | None:
        return self.cursors.get(key)

    def save_cursor(self, key: MarketKey, open_time_ms: int) -> None:
        self.cursors[key] = open_time_ms


class RecordingPublisher:
    """Record published candles; optionally set ``stop`` after some, or fail the first attempts."""

    def __init__(
        self,
        *,
        stop_after: int | None = None,
        stop: asyncio.Event | None = None,
        failures: int = 0,
    ) -> None:
        self.published: list[Candle] = []
        self._stop_after = stop_after
        self._stop = stop
        self._failures = failures

    async def publish(self, candle: Candle) -> None:
        if self._failures:
            self._failures -= 1
            raise RetryableError("broker away")
        self.published.append(candle)
        if self._stop is not None and self._stop_after == len(self.published):
            self._stop.set()


class FakeFileImport:
    """Store prepared candles as if they came from a file."""

    def __init__(self, store: InMemoryCandleStore, candles: Sequence[Candle]) -> None:
        self._store = store
        self._candles = list(candles)
        self.paths: list[Path] = []

    def __call__(self, path: Path) -> ImportReport:
        self.paths.append(path)
        if not path.name:
            raise InvalidInput("no file")
        stored = self._store.add_candles(self._candles)
        return ImportReport(
            path=str(path),
            rows_read=len(self._candles),
            stored=stored,
            duplicates_skipped=len(self._candles) - stored,
            first_open_time_ms=self._candles[0].open_time_ms if self._candles else None,
            last_open_time_ms=self._candles[-1].open_time_ms if self._candles else None,
        )


class FakePriceCache:
    """Record last prices in a dict, or fail every write as a Redis that is down does."""

    def __init__(self, *, down: bool = False) -> None:
        self.prices: dict[tuple[str, str], tuple[Decimal, int]] = {}
        self.down = down
        self.failed = 0

    async def set_last(self, exchange: str, symbol: str, price: Decimal, ts_ms: int) -> bool:
        if self.down:
            self.failed += 1
            raise ConnectionError("redis down")
        current = self.prices.get((exchange, symbol))
        if current is not None and current[1] > ts_ms:
            return False
        self.prices[(exchange, symbol)] = (price, ts_ms)
        return True


def make_trades(
    key: MarketKey = BTC_5M,
    *,
    times_ms: Sequence[int],
    first_id: int = 1000,
    price: Decimal = Decimal("100.5"),
) -> list[TradeTick]:
    """Build valid trades at the given times with rising numeric ids, alternating sides."""
    return [
        TradeTick(
            exchange=key.exchange,
            symbol=key.symbol,
            trade_id=str(first_id + index),
            ts_event=time_ms,
            side=Side.BUY if index % 2 == 0 else Side.SELL,
            price=price + index,
            amount=Decimal("0.25"),
        )
        for index, time_ms in enumerate(times_ms)
    ]


class InMemoryTradeStore:
    """A trade store and trade cursors held in dicts."""

    def __init__(self, trades: Sequence[TradeTick] = ()) -> None:
        self.trades: dict[tuple[str, str, str], TradeTick] = {}
        self.cursors: dict[tuple[str, str], TradeOrder] = {}
        self.cursor_saves = 0
        self.add_trades(trades)

    def add_trades(self, trades: Sequence[TradeTick]) -> int:
        stored = 0
        for trade in trades:
            key = (trade.exchange, trade.symbol, trade.trade_id)
            if key not in self.trades:
                self.trades[key] = trade
                stored += 1
        return stored

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
        selected = sorted(
            (
                trade
                for (trade_exchange, trade_symbol, _), trade in self.trades.items()
                if (trade_exchange, trade_symbol) == (exchange, symbol)
                and trade.ts_event >= start_ms
                and (end_ms is None or trade.ts_event < end_ms)
                and (after is None or trade.order > after)
            ),
            key=lambda trade: trade.order,
        )
        return selected if limit is None else selected[:limit]

    def load_trade_cursor(self, exchange: str, symbol: str) -> TradeOrder | None:
        return self.cursors.get((exchange, symbol))

    def save_trade_cursor(self, trade: TradeTick) -> None:
        self.cursors[(trade.exchange, trade.symbol)] = trade.order
        self.cursor_saves += 1


class RecordingTradePublisher:
    """Record published trades, in the order they went out."""

    def __init__(self) -> None:
        self.published: list[TradeTick] = []

    async def publish_trade(self, trade: TradeTick) -> None:
        self.published.append(trade)


class FakeConsumerLag:
    """Report the lag of a consumer that reads ``reads_per_check`` candles between two readings.

    ``published`` is the count of candles the replay has put out (the test wires it to a
    publisher); the consumer can never have read more than that.
    """

    def __init__(self, publisher: RecordingPublisher, *, reads_per_check: int) -> None:
        self._publisher = publisher
        self._reads_per_check = reads_per_check
        self.read = 0
        self.checks = 0

    async def lag(self) -> int:
        self.checks += 1
        self.read = min(len(self._publisher.published), self.read + self._reads_per_check)
        lag = len(self._publisher.published) - self.read
        return lag
