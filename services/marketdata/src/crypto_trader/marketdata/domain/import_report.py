"""The outcome of importing a candle file into the store."""

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
