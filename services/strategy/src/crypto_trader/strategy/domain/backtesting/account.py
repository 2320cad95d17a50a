"""The simulated account of a backtest: configuration, fills, trades and the open position."""

from __future__ import annotations

import math
from dataclasses import dataclass

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework.base import Signal

LONG = 1
SHORT = -1


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """How orders are filled and charged: starting cash, taker fee rate, slippage, lot size."""

    initial_cash: float = 10_000.0
    fee_rate: float = 0.001
    slippage_bps: float = 0.0
    quantity_step: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.initial_cash) and self.initial_cash > 0):
            raise InvalidInput(f"cash must be positive, got {self.initial_cash}")
        if not 0 <= self.fee_rate < 1:
            raise InvalidInput(f"fee must be in [0, 1), got {self.fee_rate}")
        if not 0 <= self.slippage_bps < 10_000:
            raise InvalidInput(f"slippage must be in [0, 10000) bps, got {self.slippage_bps}")
        if not (math.isfinite(self.quantity_step) and self.quantity_step >= 0):
            raise InvalidInput(f"quantity step must be >= 0, got {self.quantity_step}")


@dataclass(frozen=True, slots=True)
class Trade:
    """A closed round trip: entry and exit (bar index, open time, fill price), size and PnL."""

    side: str
    size: float
    entry_bar: int
    entry_time_ms: int
    entry_price: float
    exit_bar: int
    exit_time_ms: int
    exit_price: float
    fees: float
    pnl: float

    @property
    def return_pct(self) -> float:
        """Return the PnL as a percentage of the entry notional."""
        return 100.0 * self.pnl / (self.size * self.entry_price)


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """The position still open after the last candle (marked at its close, not closed)."""

    side: str
    size: float
    entry_bar: int
    entry_time_ms: int
    entry_price: float
    fees: float


@dataclass(frozen=True, slots=True)
class Decision:
    """What the signal of one candle does at the next open: close the position, open a new one."""

    close: bool
    open: int


def decide(position: float, signal: Signal) -> Decision:
    """Turn a signal into orders given the current position (exits first; conflicts do nothing)."""
    close = (position > 0 and (signal.exit_long or signal.enter_short)) or (
        position < 0 and (signal.exit_short or signal.enter_long)
    )
    flat_after = position == 0 or close
    want_long = signal.enter_long and not signal.exit_long and not signal.enter_short
    want_short = signal.enter_short and not signal.exit_short and not signal.enter_long
    side = 0
    if flat_after and want_long:
        side = LONG
    elif flat_after and want_short:
        side = SHORT
    return Decision(close, side)


class Account:
    """Cash and one position; fills market orders and books each round trip as a trade."""

    def __init__(self, config: BacktestConfig) -> None:
        self.config = config
        self.cash = config.initial_cash
        self.position = 0.0
        self.fees_paid = 0.0
        self.fills = 0
        self.trades: list[Trade] = []
        self._slip = config.slippage_bps / 10_000.0
        self._entry: OpenPosition | None = None

    @property
    def open_position(self) -> OpenPosition | None:
        """Return the open position, if any."""
        return self._entry

    def execute(self, decision: Decision, bar: int, time_ms: int, open_price: float) -> None:
        """Fill the decision's orders at a candle's open: the exit, then the entry."""
        if decision.close and self._entry is not None:
            self._close(bar, time_ms, open_price)
        if decision.open and self._entry is None:
            self._open(decision.open, bar, time_ms, open_price)

    def equity(self, price: float) -> float:
        """Return cash plus the position marked at ``price``."""
        return self.cash + self.position * price

    def _price(self, side: int, open_price: float) -> float:
        # Slippage always works against the order: buys pay more, sells receive less.
        return open_price * (1.0 + self._slip) if side > 0 else open_price * (1.0 - self._slip)

    def _open(self, side: int, bar: int, time_ms: int, open_price: float) -> None:
        price = self._price(side, open_price)
        size = self.cash / (price * (1.0 + self.config.fee_rate))
        step = self.config.quantity_step
        if step > 0:
            size = math.floor(size / step) * step
        if not size > 0:
            return
        fee = size * price * self.config.fee_rate
        self.cash -= side * size * price + fee
        self.position = side * size
        self.fees_paid += fee
        self.fills += 1
        name = "long" if side > 0 else "short"
        self._entry = OpenPosition(name, size, bar, time_ms, price, fee)

    def _close(self, bar: int, time_ms: int, open_price: float) -> None:
        entry = self._entry
        assert entry is not None  # noqa: S101 - execute() checks it
        direction = LONG if entry.side == "long" else SHORT
        price = self._price(-direction, open_price)
        fee = entry.size * price * self.config.fee_rate
        self.cash += direction * entry.size * price - fee
        self.position = 0.0
        self.fees_paid += fee
        self.fills += 1
        pnl = direction * entry.size * (price - entry.entry_price) - entry.fees - fee
        self.trades.append(
            Trade(
                entry.side,
                entry.size,
                entry.entry_bar,
                entry.entry_time_ms,
                entry.entry_price,
                bar,
                time_ms,
                price,
                entry.fees + fee,
                pnl,
            )
        )
        self._entry = None
