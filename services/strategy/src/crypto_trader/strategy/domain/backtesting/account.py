"""The simulated account of a backtest: configuration, fills, trades and the open position."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.sizing import Sizing
from crypto_trader.strategy.domain.backtesting.costs import (
    FeeModel,
    FixedSlippage,
    OrderContext,
    SlippageModel,
)
from crypto_trader.strategy.domain.backtesting.orders import (
    NO_BRACKET,
    Bracket,
    Holding,
    RestingEntry,
    entry_price,
)
from crypto_trader.strategy.domain.framework.base import Signal

LONG = 1
SHORT = -1
ORDER_TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """How orders are placed, filled and charged.

    ``fee_rate`` and ``slippage_bps`` are the simple forms of ``fee_model`` and ``slippage_model``
    (used when those are None). ``order_type`` is the entry order; ``entry_offset_bps`` its distance
    from the signal candle's close (limit below / stop above for a buy, the trail for a trailing
    stop), ``limit_offset_bps`` the stop-limit's limit beyond its stop. ``stop_loss``,
    ``take_profit`` and ``trailing_stop`` are fractions of the entry price (None: none).
    """

    initial_cash: float = 10_000.0
    fee_rate: float = 0.001
    slippage_bps: float = 0.0
    quantity_step: float = 0.0
    sizing: Sizing | None = None
    fee_model: FeeModel | None = None
    slippage_model: SlippageModel | None = field(default=None, compare=False)
    order_type: str = "market"
    entry_offset_bps: float = 0.0
    limit_offset_bps: float = 0.0
    stop_loss: float | None = None
    take_profit: float | None = None
    trailing_stop: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.initial_cash) and self.initial_cash > 0):
            raise InvalidInput(f"cash must be positive, got {self.initial_cash}")
        if not 0 <= self.fee_rate < 1:
            raise InvalidInput(f"fee must be in [0, 1), got {self.fee_rate}")
        if not 0 <= self.slippage_bps < 10_000:
            raise InvalidInput(f"slippage must be in [0, 10000) bps, got {self.slippage_bps}")
        if not (math.isfinite(self.quantity_step) and self.quantity_step >= 0):
            raise InvalidInput(f"quantity step must be >= 0, got {self.quantity_step}")
        if self.order_type not in ORDER_TYPES:
            raise InvalidInput(
                f"order type must be one of {', '.join(ORDER_TYPES)}, got {self.order_type}"
            )
        for name in ("entry_offset_bps", "limit_offset_bps"):
            if not 0 <= getattr(self, name) < 10_000:
                raise InvalidInput(f"{name} must be in [0, 10000), got {getattr(self, name)}")
        for name in ("stop_loss", "take_profit", "trailing_stop"):
            value = getattr(self, name)
            if value is not None and not 0 < value < 1:
                raise InvalidInput(f"{name} must be in (0, 1), got {value}")

    @property
    def fees(self) -> FeeModel:
        """Return the fee schedule in force."""
        return self.fee_model or FeeModel.flat(self.fee_rate)

    @property
    def slippage(self) -> SlippageModel:
        """Return the slippage model in force."""
        return self.slippage_model or FixedSlippage(self.slippage_bps)

    @property
    def position_sizing(self) -> Sizing:
        """Return the sizing rule in force (all in at the lot step by default)."""
        return self.sizing or Sizing(quantity_step=self.quantity_step)

    @property
    def needs_bars(self) -> bool:
        """Return whether orders rest between candles, so every candle's range matters."""
        return self.order_type != "market" or any(
            value is not None for value in (self.stop_loss, self.take_profit, self.trailing_stop)
        )


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
    symbol: str = ""
    exit_reason: str = "signal"

    @property
    def return_pct(self) -> float:
        """Return the PnL as a percentage of the entry notional."""
        return 100.0 * self.pnl / (self.size * self.entry_price)

    def as_dict(self) -> dict[str, float | int | str]:
        """Return the trade as JSON values (the keys every backtest result's trade list uses)."""
        return {
            "side": self.side,
            "size": self.size,
            "entry_bar": self.entry_bar,
            "entry_time_ms": self.entry_time_ms,
            "entry_price": self.entry_price,
            "exit_bar": self.exit_bar,
            "exit_time_ms": self.exit_time_ms,
            "exit_price": self.exit_price,
            "exit_reason": self.exit_reason,
            "fees": self.fees,
            "pnl": self.pnl,
        }


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """The position still open after the last candle (marked at its close, not closed)."""

    side: str
    size: float
    entry_bar: int
    entry_time_ms: int
    entry_price: float
    fees: float
    symbol: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """What a candle's signal does at the next open: close, open, cancel a resting entry."""

    close: bool
    open: int
    cancel: bool = False


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
    # Any exit signal also withdraws an entry order still resting from an earlier signal.
    return Decision(close, side, signal.exit_long or signal.exit_short)


class Account:
    """Cash and positions per symbol; fills orders and books each round trip as a trade."""

    def __init__(self, config: BacktestConfig) -> None:
        self.config = config
        self.cash = config.initial_cash
        self.fees_paid = 0.0
        self.fills = 0
        self.trades: list[Trade] = []
        self.holdings: dict[str, Holding] = {}
        self.resting: dict[str, RestingEntry] = {}
        self._fees = config.fees
        self._slippage = config.slippage
        self._sizing = config.position_sizing

    @property
    def position(self) -> float:
        """Return the signed position of the default symbol ("")."""
        return self.position_of("")

    def position_of(self, symbol: str) -> float:
        """Return the signed position of ``symbol``."""
        holding = self.holdings.get(symbol)
        return 0.0 if holding is None else holding.direction * holding.entry.size

    @property
    def open_position(self) -> OpenPosition | None:
        """Return the open position of the default symbol, if any."""
        holding = self.holdings.get("")
        return None if holding is None else holding.entry

    def equity(self, price: float, symbol: str = "") -> float:
        """Return cash plus the position of ``symbol`` marked at ``price``."""
        return self.cash + self.position_of(symbol) * price

    def execute(
        self,
        decision: Decision,
        bar: int,
        time_ms: int,
        open_price: float,
        *,
        symbol: str = "",
        high: float = math.nan,
        low: float = math.nan,
        volume: float = 0.0,
        reference: float = math.nan,
        bracket: Bracket = NO_BRACKET,
    ) -> None:
        """Act on a decision at a candle's open: market exit, then the entry order."""
        if decision.close or decision.open or decision.cancel:
            self.resting.pop(symbol, None)
        if decision.close and symbol in self.holdings:
            self._close(symbol, bar, time_ms, open_price, True, (high, low, volume), "signal")
        if not decision.open or symbol in self.holdings:
            return
        kind = self.config.order_type
        if kind == "market":
            self._open(symbol, decision.open, bar, time_ms, open_price, True, (high, low, volume))
            if symbol in self.holdings:
                self._arm(symbol, bracket, armed=True)
            return
        ref = open_price if math.isnan(reference) else reference
        offset = self.config.entry_offset_bps / 10_000.0
        side = decision.open
        if kind == "limit":
            price = ref * (1.0 - side * offset)
        else:
            price = ref * (1.0 + side * offset)
        limit = price * (1.0 + side * self.config.limit_offset_bps / 10_000.0)
        self.resting[symbol] = RestingEntry(
            side,
            kind,
            price,
            limit,
            offset,
            (bracket.stop_loss, bracket.take_profit, bracket.trailing),
        )

    def on_bar(
        self, symbol: str, bar: int, time_ms: int, o: float, h: float, lo: float, v: float
    ) -> None:
        """Check the resting orders of ``symbol`` against one candle (after its open's fills)."""
        holding = self.holdings.get(symbol)
        if holding is not None and holding.armed:
            self._protect(symbol, holding, bar, time_ms, o, h, lo, v)
        entry = self.resting.get(symbol)
        if entry is not None and symbol not in self.holdings:
            self._try_entry(symbol, entry, bar, time_ms, o, h, lo, v)
        holding = self.holdings.get(symbol)
        if holding is not None and not holding.armed:
            holding.armed = True  # filled inside this candle: protected from the next one
        elif holding is not None:
            # The favourable extreme moves the trail only after this candle's checks.
            if holding.direction > 0:
                holding.extreme = max(holding.extreme, h)
            else:
                holding.extreme = min(holding.extreme, lo)

    def _protect(
        self,
        symbol: str,
        holding: Holding,
        bar: int,
        time_ms: int,
        o: float,
        h: float,
        lo: float,
        v: float,
    ) -> None:
        d = holding.direction
        stop = holding.stop
        if not math.isnan(holding.trail):
            trailing = holding.extreme * (1.0 - d * holding.trail)
            stop = trailing if math.isnan(stop) else (max if d > 0 else min)(stop, trailing)
        target = holding.target
        adverse, favourable = (lo, h) if d > 0 else (h, lo)
        bar_data = (h, lo, v)
        # 1. The open: a gap through either order fills it at the open.
        if not math.isnan(stop) and d * (o - stop) <= 0:
            self._close(symbol, bar, time_ms, o, True, bar_data, "stop")
        elif not math.isnan(target) and d * (o - target) >= 0:
            self._close(symbol, bar, time_ms, o, False, bar_data, "take_profit", slip=False)
        # 2. The adverse extreme (the stop wins when both lie inside the bar), 3. the favourable.
        elif not math.isnan(stop) and d * (adverse - stop) <= 0:
            self._close(symbol, bar, time_ms, stop, True, bar_data, "stop")
        elif not math.isnan(target) and d * (favourable - target) >= 0:
            self._close(symbol, bar, time_ms, target, False, bar_data, "take_profit", slip=False)

    def _try_entry(
        self,
        symbol: str,
        entry: RestingEntry,
        bar: int,
        time_ms: int,
        o: float,
        h: float,
        lo: float,
        v: float,
    ) -> None:
        d = entry.direction
        adverse, favourable = (h, lo) if d > 0 else (lo, h)
        bar_data = (h, lo, v)
        price, taker = entry_price(entry, o, adverse, favourable)
        if entry.kind == "stop_limit" and math.isnan(price) and d * (adverse - entry.price) >= 0:
            # Gapped past the limit: it rests as a plain limit from the next candle.
            self.resting[symbol] = RestingEntry(
                d, "limit", entry.limit, entry.limit, 0.0, entry.hints
            )
            return
        if math.isnan(price):
            if entry.kind == "trailing_stop":
                extreme = favourable
                level = extreme * (1.0 + d * entry.trail)
                if d * (level - entry.price) < 0:
                    entry.price = level
            return
        del self.resting[symbol]
        # A stop-limit's fill is bounded by its limit: no slippage past the trigger price.
        slip = taker and entry.kind != "stop_limit"
        self._open(symbol, d, bar, time_ms, price, taker, bar_data, slip=slip)
        if symbol in self.holdings:
            # Filled inside the candle: where the price went after the fill is unknown, so the
            # protective orders start with the next candle.
            self._arm(symbol, Bracket(*entry.hints), armed=False)

    def _arm(self, symbol: str, bracket: Bracket, *, armed: bool) -> None:
        holding = self.holdings[symbol]
        d, price = holding.direction, holding.entry.entry_price
        config = self.config
        stop, target, trail = bracket.stop_loss, bracket.take_profit, bracket.trailing
        if math.isnan(stop) and config.stop_loss is not None:
            stop = price * (1.0 - d * config.stop_loss)
        if math.isnan(target) and config.take_profit is not None:
            target = price * (1.0 + d * config.take_profit)
        if math.isnan(trail) and config.trailing_stop is not None:
            trail = config.trailing_stop
        holding.stop, holding.target, holding.trail = stop, target, trail
        holding.armed = armed

    def _fill_price(
        self, side: int, price: float, quantity: float, bar_data: tuple[float, float, float]
    ) -> float:
        high, low, volume = bar_data
        return self._slippage.fill_price(side, price, OrderContext(quantity, high, low, volume))

    def _open(
        self,
        symbol: str,
        side: int,
        bar: int,
        time_ms: int,
        base_price: float,
        taker: bool,
        bar_data: tuple[float, float, float],
        *,
        slip: bool = True,
    ) -> None:
        rate = self._fees.rate(maker=not taker)
        equity = self.cash + sum(
            h.direction * h.entry.size * h.entry.entry_price for h in self.holdings.values()
        )
        price = self._fill_price(side, base_price, 0.0, bar_data) if slip else base_price
        size = self._sizing.quantity(cash=self.cash, equity=equity, price=price, fee_rate=rate)
        if slip and size > 0:
            # Impact may grow with the size: size again at the worse price (never over budget).
            price = self._fill_price(side, base_price, size, bar_data)
            size = self._sizing.quantity(cash=self.cash, equity=equity, price=price, fee_rate=rate)
        if not size > 0:
            return
        fee = size * price * rate
        self.cash -= side * size * price + fee
        self.fees_paid += fee
        self.fills += 1
        name = "long" if side > 0 else "short"
        entry = OpenPosition(name, size, bar, time_ms, price, fee, symbol)
        self.holdings[symbol] = Holding(
            entry, side, math.nan, math.nan, math.nan, price, armed=False
        )

    def _close(
        self,
        symbol: str,
        bar: int,
        time_ms: int,
        base_price: float,
        taker: bool,
        bar_data: tuple[float, float, float],
        reason: str,
        *,
        slip: bool = True,
    ) -> None:
        holding = self.holdings.pop(symbol)
        entry, direction = holding.entry, holding.direction
        if slip:
            price = self._fill_price(-direction, base_price, entry.size, bar_data)
        else:
            price = base_price
        fee = entry.size * price * self._fees.rate(maker=not taker)
        self.cash += direction * entry.size * price - fee
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
                symbol,
                reason,
            )
        )
