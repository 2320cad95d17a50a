"""Backtest the long-only SMA cross: all in on entry, all out on exit, filled at the next open."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Context, Decimal, Inexact, InvalidOperation, Overflow

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side
from crypto_trader.strategy.domain.sma_cross import SignalAction, SmaCross

# Quantities are cut to 18 decimal places (what the platform's NUMERIC(38, 18) columns hold); every
# other operation is a sum or product, exact under this context, which traps any rounding.
QUANTITY_QUANTUM = Decimal("1e-18")
_EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, Overflow])
_DIVIDE = Context(prec=100, rounding=ROUND_DOWN, traps=[InvalidOperation, Overflow])

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Bar:
    """The prices of one candle a backtest needs."""

    open_time_ms: int
    open: Decimal
    close: Decimal


@dataclass(frozen=True, slots=True)
class BacktestFill:
    """One simulated fill."""

    side: Side
    open_time_ms: int
    price: Decimal
    quantity: Decimal
    fee: Decimal
    signal_index: int


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Outcome of a backtest: cash, position, equity marked at the last close, and the fills."""

    initial_cash: Decimal
    cash: Decimal
    position: Decimal
    final_equity: Decimal
    fees_paid: Decimal
    fills: tuple[BacktestFill, ...]
    candles: int


def _check(fee_rate: Decimal, cash: Decimal, bars: Sequence[Bar]) -> None:
    if not Decimal(0) <= fee_rate < Decimal(1):
        raise InvalidInput(f"fee must be in [0, 1), got {fee_rate}")
    if cash <= 0:
        raise InvalidInput(f"cash must be positive, got {cash}")
    for bar in bars:
        if bar.open <= 0 or bar.close <= 0:
            raise InvalidInput(f"candle at {bar.open_time_ms} has a non-positive price")


class _Book:
    # Cash, position and fills of one backtest; each method is one simulated market order.

    def __init__(self, cash: Decimal, fee_rate: Decimal) -> None:
        self.cash = cash
        self.fee_rate = fee_rate
        self.position = Decimal(0)
        self.fees_paid = Decimal(0)
        self.fills: list[BacktestFill] = []

    def buy_all_in(self, bar: Bar, signal_index: int) -> None:
        unit_cost = _EXACT.multiply(bar.open, _EXACT.add(Decimal(1), self.fee_rate))
        quantity = _DIVIDE.divide(self.cash, unit_cost).quantize(QUANTITY_QUANTUM, ROUND_DOWN)
        if quantity <= 0:
            return
        notional = _EXACT.multiply(quantity, bar.open)
        fee = _EXACT.multiply(notional, self.fee_rate)
        self.cash = _EXACT.subtract(self.cash, _EXACT.add(notional, fee))
        self.position = quantity
        self._record(Side.BUY, bar, quantity, fee, signal_index)

    def sell_all(self, bar: Bar, signal_index: int) -> None:
        quantity = self.position
        notional = _EXACT.multiply(quantity, bar.open)
        fee = _EXACT.multiply(notional, self.fee_rate)
        self.cash = _EXACT.add(self.cash, _EXACT.subtract(notional, fee))
        self.position = Decimal(0)
        self._record(Side.SELL, bar, quantity, fee, signal_index)

    def _record(
        self, side: Side, bar: Bar, quantity: Decimal, fee: Decimal, signal_index: int
    ) -> None:
        self.fees_paid = _EXACT.add(self.fees_paid, fee)
        self.fills.append(
            BacktestFill(side, bar.open_time_ms, bar.open, quantity, fee, signal_index)
        )


def backtest_sma_cross(
    bars: Sequence[Bar],
    fast: int,
    slow: int,
    *,
    fee_rate: Decimal,
    cash: Decimal,
    on_progress: ProgressCallback | None = None,
    progress_every: int = 1000,
) -> BacktestResult:
    """Run the SMA cross long-only, all in, with each signal filled at the next candle's open.

    The fee (``fee_rate`` times the notional) is paid in cash on both sides. A signal on the last
    candle is not filled. ``on_progress(done, total)`` is called every ``progress_every``
    candles and once at the end.
    """
    _check(fee_rate, cash, bars)
    cross = SmaCross(fast, slow)
    book = _Book(cash, fee_rate)
    pending: tuple[int, SignalAction] | None = None
    total = len(bars)
    for index, bar in enumerate(bars):
        if pending is not None:
            signal_index, action = pending
            pending = None
            if action is SignalAction.ENTER_LONG and book.position == 0:
                book.buy_all_in(bar, signal_index)
            elif action is SignalAction.EXIT_LONG and book.position > 0:
                book.sell_all(bar, signal_index)
        signal = cross.update(bar.close)
        if signal is not None:
            pending = (index, signal)
        done = index + 1
        if on_progress is not None and (done % progress_every == 0 or done == total):
            on_progress(done, total)
    last_close = bars[-1].close if bars else Decimal(0)
    return BacktestResult(
        initial_cash=cash,
        cash=book.cash,
        position=book.position,
        final_equity=_EXACT.add(book.cash, _EXACT.multiply(book.position, last_close)),
        fees_paid=book.fees_paid,
        fills=tuple(book.fills),
        candles=total,
    )
