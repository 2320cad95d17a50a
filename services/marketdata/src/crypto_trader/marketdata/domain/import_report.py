"""The outcome of importing a candle or trade file into the store."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import read, stored, skipped as duplicates and rejected (count per reason).

    ``duplicates_skipped`` counts rows repeated inside the file plus valid candles the store already
    held; ``first/last_open_time_ms`` span the file's valid candles (None when it has none).
    """

    path: str
    rows_read: int
    stored: int
    duplicates_skipped: int
    rejected: dict[str, int] = field(default_factory=dict)
    first_open_time_ms: int | None = None
    last_open_time_ms: int | None = None

    @property
    def rejected_total(self) -> int:
        """Return the number of rows rejected for any reason."""
        return sum(self.rejected.values())


@dataclass(frozen=True, slots=True)
class TradeImportReport:
    """What a trade import read, stored, skipped as duplicates and rejected (count per reason).

    ``duplicates_skipped`` counts ids repeated inside the file plus valid trades the store already
    held; ``first/last_ts_ms`` span the file's valid trades (None when it has none).
    """

    path: str
    rows_read: int
    stored: int
    duplicates_skipped: int
    rejected: dict[str, int] = field(default_factory=dict)
    first_ts_ms: int | None = None
    last_ts_ms: int | None = None

    @property
    def rejected_total(self) -> int:
        """Return the number of rows rejected for any reason."""
        return sum(self.rejected.values())
