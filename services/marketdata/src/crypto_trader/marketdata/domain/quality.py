"""Malformed candle data: count each problem per reason, then reject or repair it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.market import MarketKey, is_aligned

REASON_NOT_FINITE = "NaN or infinite value"
REASON_HIGH_BELOW_LOW = "high below low"
REASON_OUTSIDE_RANGE = "open or close outside high-low"
REASON_NEGATIVE_VOLUME = "negative volume"
REASON_MISALIGNED = "open time not aligned to timeframe"
REASON_CONFLICT = "conflicting duplicate open time"
REPAIR_OUT_OF_ORDER = "timestamp out of order (sorted)"
REPAIR_DUPLICATE = "exact duplicate (dropped)"


@dataclass(frozen=True, slots=True)
class RawBar:
    """One unvalidated OHLCV row as read from a file or a store."""

    open_time_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class QualityReport:
    """How many rows were checked, rejected and repaired, each counted per reason."""

    rows: int
    rejected: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_total(self) -> int:
        """Return the number of rows rejected for any reason."""
        return sum(self.rejected.values())

    @property
    def repaired_total(self) -> int:
        """Return the number of repairs made (sorted or dropped duplicates)."""
        return sum(self.repaired.values())

    @property
    def clean(self) -> bool:
        """Tell whether the data needed neither a rejection nor a repair."""
        return not self.rejected and not self.repaired

    def with_rejected(self, counts: Mapping[str, int], rows: int = 0) -> QualityReport:
        """Return this report with more rejected rows (e.g. unreadable ones from a file reader)."""
        merged = Counter(self.rejected)
        merged.update(counts)
        return QualityReport(self.rows + rows, dict(sorted(merged.items())), self.repaired)


@dataclass(frozen=True, slots=True)
class QualityResult:
    """The valid, sorted, distinct candles and the report of what was wrong."""

    candles: list[Candle]
    report: QualityReport


def bar_problem(bar: RawBar, timeframe_ms: int) -> str | None:
    """Return why a row cannot be a candle of this timeframe, or None when it can."""
    values = (bar.open, bar.high, bar.low, bar.close, bar.volume)
    if not all(value.is_finite() for value in values):
        return REASON_NOT_FINITE
    if not is_aligned(bar.open_time_ms, timeframe_ms):
        return REASON_MISALIGNED
    if bar.high < bar.low:
        return REASON_HIGH_BELOW_LOW
    if not (bar.low <= bar.open <= bar.high and bar.low <= bar.close <= bar.high):
        return REASON_OUTSIDE_RANGE
    if bar.volume < 0:
        return REASON_NEGATIVE_VOLUME
    return None


def check_bars(bars: Sequence[RawBar], key: MarketKey) -> QualityResult:
    """Validate rows of one market: reject bad ones, sort, drop duplicates, count every reason.

    Of rows sharing an open time the first one read is kept; an identical repeat is a repaired
    duplicate, a different one is rejected as a conflict.
    """
    step_ms = key.timeframe_ms
    rejected: Counter[str] = Counter()
    repaired: Counter[str] = Counter()
    valid: list[RawBar] = []
    latest: int | None = None
    for bar in bars:
        problem = bar_problem(bar, step_ms)
        if problem is not None:
            rejected[problem] += 1
            continue
        if latest is not None and bar.open_time_ms < latest:
            repaired[REPAIR_OUT_OF_ORDER] += 1
        latest = bar.open_time_ms if latest is None else max(latest, bar.open_time_ms)
        valid.append(bar)
    valid.sort(key=lambda bar: bar.open_time_ms)  # stable: the first row of a time stays first
    distinct: list[RawBar] = []
    for bar in valid:
        if distinct and distinct[-1].open_time_ms == bar.open_time_ms:
            if distinct[-1] == bar:
                repaired[REPAIR_DUPLICATE] += 1
            else:
                rejected[REASON_CONFLICT] += 1
            continue
        distinct.append(bar)
    candles = [
        Candle(
            key.exchange,
            key.symbol,
            key.timeframe,
            bar.open_time_ms,
            bar.open,
            bar.high,
            bar.low,
            bar.close,
            bar.volume,
        )
        for bar in distinct
    ]
    report = QualityReport(
        len(bars), dict(sorted(rejected.items())), dict(sorted(repaired.items()))
    )
    return QualityResult(candles, report)
