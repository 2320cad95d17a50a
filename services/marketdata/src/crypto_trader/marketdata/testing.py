"""In-memory fakes of the market data ports, and candle builders, for tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.import_report import ImportReport
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey

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


class FakeOhlcvFetcher:
    """Return prepared candles, or fail as an unreachable exchange does."""

    def __init__(self, candles: Sequence[Candle] = (), *, reachable: bool = True) -> None:
        self._candles = list(candles)
        self._reachable = reachable
        self.calls = 0

    async def fetch_recent(self, key: MarketKey, *, limit: int) -> list[Candle]:
        self.calls += 1
        if not self._reachable:
            raise RetryableError("exchange unreachable")
        return [candle for candle in self._candles if _key(candle) == key][-limit:]


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
