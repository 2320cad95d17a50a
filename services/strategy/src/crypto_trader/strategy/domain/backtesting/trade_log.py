"""The closed trades of a backtest, kept as columns and turned into ``Trade`` objects on demand."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from crypto_trader.strategy.domain.backtesting.account import Trade
from crypto_trader.strategy.domain.indicators.frame import FloatArray, IntArray


@dataclass(frozen=True, slots=True)
class TradeColumns:
    """One array per ``Trade`` field, a row per closed trade (``direction``: +1 long, -1 short)."""

    direction: IntArray
    size: FloatArray
    entry_bar: IntArray
    entry_time_ms: IntArray
    entry_price: FloatArray
    exit_bar: IntArray
    exit_time_ms: IntArray
    exit_price: FloatArray
    fees: FloatArray
    pnl: FloatArray

    def return_pct(self) -> FloatArray:
        """Return each trade's PnL as a percentage of its entry notional (as ``Trade``)."""
        return np.asarray(100.0 * self.pnl / (self.size * self.entry_price), dtype=np.float64)


class TradeLog(Sequence[Trade]):
    """A read-only sequence of closed trades that equals any sequence of the same trades.

    The compiled fast path makes thousands of trades per second of backtest; building a
    ``Trade`` object for each costs more than the backtest itself, so a log made from columns
    builds them only when they are read (all at once on iteration, one on indexing).
    """

    __slots__ = ("_columns", "_trades")

    def __init__(self, trades: Iterable[Trade] = ()) -> None:
        self._trades: tuple[Trade, ...] | None = tuple(trades)
        self._columns: TradeColumns | None = None

    @classmethod
    def from_columns(cls, columns: TradeColumns) -> TradeLog:
        """Wrap trade columns without building any ``Trade`` yet."""
        log = cls()
        log._trades = None
        log._columns = columns
        return log

    def columns(self) -> TradeColumns:
        """Return the trades as columns (built once from the trades when made from them)."""
        if self._columns is None:
            self._columns = _columns_of(self._all())
        return self._columns

    def pnl_and_return_pct(self) -> tuple[FloatArray, FloatArray]:
        """Return the trades' PnL and return percentage as arrays (for the metrics)."""
        if self._columns is not None:
            return self._columns.pnl, self._columns.return_pct()
        trades = self._all()
        pnl = np.array([trade.pnl for trade in trades], dtype=np.float64)
        return pnl, np.array([trade.return_pct for trade in trades], dtype=np.float64)

    def _all(self) -> tuple[Trade, ...]:
        if self._trades is None:
            self._trades = _build(self._columns) if self._columns is not None else ()
        return self._trades

    def __len__(self) -> int:
        if self._trades is not None:
            return len(self._trades)
        return len(self._columns.pnl) if self._columns is not None else 0

    @overload
    def __getitem__(self, index: int) -> Trade: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Trade, ...]: ...

    def __getitem__(self, index: int | slice) -> Trade | tuple[Trade, ...]:
        if isinstance(index, slice) or self._columns is None or self._trades is not None:
            return self._all()[index]
        position = range(len(self))[index]  # IndexError and negative indices as a tuple's
        return _build(self._columns, position, position + 1)[0]

    def __iter__(self) -> Iterator[Trade]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TradeLog | tuple | list):
            return len(self) == len(other) and self._all() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to tuples and lists, so not hashable

    def __repr__(self) -> str:
        return f"TradeLog({len(self)} trades)"


def _build(columns: TradeColumns, start: int = 0, end: int | None = None) -> tuple[Trade, ...]:
    rows = slice(start, end)
    count = len(columns.pnl[rows])
    # map() over tolist() columns: the cheapest way to build many small frozen objects.
    return tuple(
        map(
            Trade,
            ["long" if value > 0 else "short" for value in columns.direction[rows].tolist()],
            columns.size[rows].tolist(),
            columns.entry_bar[rows].tolist(),
            columns.entry_time_ms[rows].tolist(),
            columns.entry_price[rows].tolist(),
            columns.exit_bar[rows].tolist(),
            columns.exit_time_ms[rows].tolist(),
            columns.exit_price[rows].tolist(),
            columns.fees[rows].tolist(),
            columns.pnl[rows].tolist(),
            [""] * count,
            ["signal"] * count,
        )
    )


def _columns_of(trades: tuple[Trade, ...]) -> TradeColumns:
    def column(name: str, dtype: type) -> npt.NDArray[Any]:
        return np.array([getattr(trade, name) for trade in trades], dtype=dtype)

    return TradeColumns(
        np.array([1 if trade.side == "long" else -1 for trade in trades], dtype=np.int64),
        column("size", np.float64),
        column("entry_bar", np.int64),
        column("entry_time_ms", np.int64),
        column("entry_price", np.float64),
        column("exit_bar", np.int64),
        column("exit_time_ms", np.int64),
        column("exit_price", np.float64),
        column("fees", np.float64),
        column("pnl", np.float64),
    )
