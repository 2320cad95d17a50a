"""Candles as data: a frame of aligned column arrays (batch indicators, backtests) and one bar."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crypto_trader.common.errors import InvalidInput

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

FIELDS = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True, slots=True)
class PriceBar:
    """One closed candle as floats, the event path's input."""

    open_time_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float


@dataclass(frozen=True, slots=True)
class CandleFrame:
    """Hold one market's candles as aligned, contiguous column arrays (oldest first).

    ``open_time_ms`` is int64 milliseconds UTC; the prices and the volume are float64.
    """

    open_time_ms: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def __post_init__(self) -> None:
        # No copy when a column is already contiguous and of the right type (the usual case).
        lengths = set()
        for name, dtype in (("open_time_ms", np.int64), *((name, np.float64) for name in FIELDS)):
            array = np.ascontiguousarray(getattr(self, name), dtype=dtype)
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
        """Build a frame from rows of [open_time_ms, open, high, low, close, volume, ...]."""
        data = np.asarray(rows, dtype=np.float64)
        if data.size == 0:
            data = data.reshape(0, 6)
        if data.ndim != 2 or data.shape[1] < 6:
            raise InvalidInput("candle rows must be [open_time_ms, open, high, low, close, volume]")
        return cls(
            open_time_ms=data[:, 0].astype(np.int64),
            open=data[:, 1].copy(),
            high=data[:, 2].copy(),
            low=data[:, 3].copy(),
            close=data[:, 4].copy(),
            volume=data[:, 5].copy(),
        )

    def bar(self, index: int) -> PriceBar:
        """Return candle ``index`` as a bar for the event path."""
        return PriceBar(
            int(self.open_time_ms[index]),
            float(self.open[index]),
            float(self.high[index]),
            float(self.low[index]),
            float(self.close[index]),
            float(self.volume[index]),
        )

    def slice(self, start: int, end: int) -> CandleFrame:
        """Return candles ``[start, end)`` (views, no copy)."""
        return CandleFrame(
            self.open_time_ms[start:end],
            self.open[start:end],
            self.high[start:end],
            self.low[start:end],
            self.close[start:end],
            self.volume[start:end],
        )

    def head(self, count: int) -> CandleFrame:
        """Return the first ``count`` candles."""
        return self.slice(0, count)
