"""What the store covers (with gaps) and what is wrong in candle data (``ct data list/check``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from crypto_trader.common.errors import InvalidInput
from crypto_trader.marketdata.adapters import candle_files
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.domain.gaps import Gap, find_gaps
from crypto_trader.marketdata.domain.market import MarketCoverage, MarketKey
from crypto_trader.marketdata.domain.quality import QualityReport, RawBar, check_bars


@dataclass(frozen=True, slots=True)
class MarketGaps:
    """One stored market's range and the runs of candles missing inside it."""

    coverage: MarketCoverage
    gaps: list[Gap]

    @property
    def missing(self) -> int:
        """Return the number of candles missing inside the range."""
        return sum(gap.missing for gap in self.gaps)


@dataclass(frozen=True, slots=True)
class MarketQuality:
    """The quality report of one market's data."""

    key: MarketKey
    report: QualityReport
    gaps: list[Gap]


def list_coverage(store: SqlAlchemyCandleStore, exchange: str | None = None) -> list[MarketGaps]:
    """Return every stored market with its gaps."""
    return [
        MarketGaps(market, find_gaps(store.read_open_times(market.key), market.key.timeframe_ms))
        for market in store.coverage(exchange)
    ]


def check_stored(store: SqlAlchemyCandleStore, exchange: str | None = None) -> list[MarketQuality]:
    """Check every stored market's candles (alignment, order, values) and find its gaps."""
    result: list[MarketQuality] = []
    for market in store.coverage(exchange):
        bars = [
            RawBar(c.open_time_ms, c.open, c.high, c.low, c.close, c.volume)
            for c in store.read_candles(market.key)
        ]
        checked = check_bars(bars, market.key)
        gaps = find_gaps((c.open_time_ms for c in checked.candles), market.key.timeframe_ms)
        result.append(MarketQuality(market.key, checked.report, gaps))
    return result


def check_file(path: Path, *, exchange: str, symbol: str, timeframe: str) -> MarketQuality:
    """Read a candle file without repairing it and report every problem per reason.

    Raises
    ------
    InvalidInput
        When the market is malformed, or the file is missing, unreadable or of an unknown format.
    """
    key = MarketKey.parse(exchange, symbol, timeframe)
    unreadable: Counter[str] = Counter()
    bars: list[RawBar] = []
    try:
        # The file reader's raw rows, before it sorts and drops anything.
        for row in candle_files.raw_candle_rows(path):
            bar = _bar(row, unreadable)
            if bar is not None:
                bars.append(bar)
    except (OSError, ValueError) as error:
        raise InvalidInput(f"cannot read {path.name}: {error}") from None
    checked = check_bars(bars, key)
    report = checked.report.with_rejected(unreadable, rows=unreadable.total())
    gaps = find_gaps((candle.open_time_ms for candle in checked.candles), key.timeframe_ms)
    return MarketQuality(key, report, gaps)


def _bar(row: tuple[Any, ...] | None, unreadable: Counter[str]) -> RawBar | None:
    if row is None:
        unreadable[candle_files.REASON_MALFORMED] += 1
        return None
    try:
        open_time = candle_files.epoch_ms(row[0])
    except (ValueError, TypeError, ArithmeticError, OverflowError):
        unreadable[candle_files.REASON_BAD_TIME] += 1
        return None
    try:
        values = [_decimal(value) for value in row[1:6]]
    except (InvalidOperation, ValueError, TypeError):
        unreadable[candle_files.REASON_MALFORMED] += 1
        return None
    return RawBar(open_time, *values)


def _decimal(value: Any) -> Decimal:
    if value is None or isinstance(value, bool):
        raise ValueError("missing value")
    if isinstance(value, float):
        # Same 15 significant digits as the file reader; NaN stays NaN for the quality check.
        return Decimal(format(value, ".15g"))
    return Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
