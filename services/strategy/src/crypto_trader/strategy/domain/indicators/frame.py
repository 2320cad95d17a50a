"""The candle frame: open/high/low/close/volume as aligned float64 arrays for batch indicators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crypto_trader.common.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]

FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class CandleFrame:
    """Hold one market's candles as five aligned, contiguous float64 arrays (oldest first)."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __post_init__(self) -> None:
        lengths = set()
        for name in FIELDS:
            array = np.ascontiguousarray(getattr(self, name), dtype=np.float64)
            if array.ndim != 1:
                raise InvalidInput(f"candle frame field {name} must be one-dimensional")
            object.__setattr__(self, name, array)
            lengths.add(array.shape[0])
        if len(lengths) != 1:
            raise InvalidInput(f"candle frame fields differ in length: {sorted(lengths)}")

    def __len__(self) -> int:
        return int(self.close.shape[0])

    def field(self, name: str) -> FloatArray:
        """Return one input series by name (open, high, low, close or volume)."""
        if name not in FIELDS:
            raise InvalidInput(f"unknown candle field {name!r}; expected one of {FIELDS}")
        array: FloatArray = getattr(self, name)
        return array

    @classmethod
    def from_rows(cls, rows: Sequence[Sequence[float]]) -> CandleFrame:
        """Build a frame from rows of [open_time_ms, open, high, low, close, volume]."""
        data = np.asarray(rows, dtype=np.float64)
        if data.ndim != 2 or data.shape[1] < 6:
            raise InvalidInput("candle rows must be [open_time_ms, open, high, low, close, volume]")
        return cls(
            open=data[:, 1].copy(),
            high=data[:, 2].copy(),
            low=data[:, 3].copy(),
            close=data[:, 4].copy(),
            volume=data[:, 5].copy(),
        )
