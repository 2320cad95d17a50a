"""Backtest a strategy on candles, vectorised (fast path) or one candle at a time (event path).

Rules, the same in both paths (and in ``portfolio`` for several symbols):

- A strategy sees a candle only once it has closed. What its signal asks for is acted on at the
  OPEN of the next candle; a signal on the last candle is never acted on.
- At that open: a pending resting entry is cancelled by any new decision; exits are market orders
  filled at the open; then the entry is placed: a market entry fills at the open, any other order
  type rests (``BacktestConfig.order_type``) at a price set from the signal candle's close.
- Then the candle's range is checked, in this order:
  1. protective orders of a position open at the open (stop-loss, trailing stop, take-profit):
     a. the open: an order the price gapped through fills at the open;
     b. the adverse extreme (the low for a long, the high for a short): stop-loss and trailing
        stop fill at their price. So when a stop AND a take-profit both lie inside one candle,
        the stop wins (the conservative assumption: the path inside the candle is unknown);
     c. the favourable extreme: the take-profit fills at its price;
  2. a resting entry (when flat): limit buys fill at the open if it is at or below the limit,
     else at the limit if the low reaches it; stop buys at the open if it is at or above the
     stop, else at the stop if the high reaches it; a stop-limit triggers like a stop and fills
     at the trigger price if that is within its limit, else rests as a limit from the next
     candle; a trailing-stop entry is a stop that follows the low (high for a sell) at its
     distance. Sells mirror buys. A position entered inside a candle gets its protective orders
     from the next candle on (the path after the fill is unknown); one entered at the open is
     protected in the same candle;
  3. the trailing stop moves with the candle's favourable extreme, after the checks.
- Market orders, stops and trailing stops are takers: slippage (``SlippageModel``) against them
  and the taker fee. Limit orders and take-profits are makers: no slippage, the maker fee. A
  stop-limit fill pays the taker fee without slippage (its limit bounds it).
- Entries are sized by ``common.sizing.Sizing`` (all in by default) from the fill price with the
  fee paid from the budget, rounded down to the lot step; shorts are sized like longs.
- Protective prices come from the config (fractions of the entry price) or, when a signal carries
  them (optional ``stop_loss``/``take_profit`` price and ``trailing_stop`` fraction arrays on a
  ``SignalFrame``, or fields on a ``Signal``), from the signal; a NaN hint means none.
- There are no margin calls or partial fills. A position still open after the last candle is
  marked at that candle's close and not closed: it is in the final equity but not in the trade
  list (as ``open_position``).
- The fast path visits only candles with a signal when orders cannot rest (market entries, no
  protective orders), in the compiled ``kernel`` when numba is installed and the slippage is a
  fixed number of bps (the same float operations, so the same result); otherwise it visits every
  candle with the event path's account code.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from crypto_trader.strategy.domain.backtesting import kernel
from crypto_trader.strategy.domain.backtesting.account import (
    Account,
    BacktestConfig,
    OpenPosition,
    decide,
)
from crypto_trader.strategy.domain.backtesting.costs import FixedSlippage
from crypto_trader.strategy.domain.backtesting.metrics import compiled_curve_stats
from crypto_trader.strategy.domain.backtesting.orders import NO_BRACKET, Bracket, Holding
from crypto_trader.strategy.domain.backtesting.result import BacktestResult, build_result
from crypto_trader.strategy.domain.backtesting.trade_log import TradeColumns, TradeLog
from crypto_trader.strategy.domain.framework.base import BaseStrategy, Signal, SignalFrame
from crypto_trader.strategy.domain.indicators.frame import (
    CandleFrame,
    FloatArray,
    IntArray,
    PriceBar,
)

ProgressCallback = Callable[[int, int], None]
# Optional SignalFrame arrays / Signal fields: stop-loss and take-profit prices, trail fraction.
HINTS = ("stop_loss", "take_profit", "trailing_stop")


def _result(
    strategy: BaseStrategy,
    account: Account,
    open_time_ms: IntArray,
    equity: FloatArray,
    position: FloatArray,
) -> BacktestResult:
    # The position curve itself is rebuilt from the trades when read (``BacktestResult``).
    return build_result(
        strategy,
        account.config,
        open_time_ms,
        equity,
        TradeLog(account.trades),
        account.open_position,
        (account.cash, account.fees_paid, account.fills),
        int(np.count_nonzero(position)),
    )


def hint_arrays(signals: SignalFrame) -> tuple[FloatArray, FloatArray, FloatArray] | None:
    """Return the signals' optional stop-loss / take-profit / trail arrays (None: no hints)."""
    # Read with getattr: frames of strategies that give no hints have no such fields.
    arrays = [getattr(signals, name, None) for name in HINTS]
    if all(array is None for array in arrays):
        return None
    count = len(signals.enter_long)
    full = [
        np.full(count, np.nan) if array is None else np.asarray(array, dtype=np.float64)
        for array in arrays
    ]
    return full[0], full[1], full[2]


def bracket_at(hints: tuple[FloatArray, FloatArray, FloatArray] | None, index: int) -> Bracket:
    """Return the protective prices hinted for candle ``index``."""
    if hints is None:
        return NO_BRACKET
    return Bracket(float(hints[0][index]), float(hints[1][index]), float(hints[2][index]))


def signal_bracket(signal: Signal) -> Bracket:
    """Return the stop-loss / take-profit / trailing hints a signal carries, if any."""
    values = [getattr(signal, name, None) for name in HINTS]
    if all(value is None for value in values):
        return NO_BRACKET
    return Bracket(*(math.nan if value is None else float(value) for value in values))


def _protected(holding: Holding) -> bool:
    # NaN != NaN: true when any protective price is set.
    return (
        holding.stop == holding.stop
        or holding.target == holding.target
        or (holding.trail == holding.trail)
    )


def _simulate_bars(
    frame: CandleFrame,
    signals: SignalFrame,
    account: Account,
    on_progress: ProgressCallback | None,
) -> tuple[FloatArray, FloatArray]:
    # Every candle: orders rest between candles, so each candle's range can fill them.
    count = len(frame)
    hints = hint_arrays(signals)
    opens, highs, lows = frame.open.tolist(), frame.high.tolist(), frame.low.tolist()
    closes, volumes, times = (
        frame.close.tolist(),
        frame.volume.tolist(),
        frame.open_time_ms.tolist(),
    )
    any_signal = (
        signals.enter_long | signals.exit_long | signals.enter_short | signals.exit_short
    ).tolist()
    equity = np.empty(count)
    position = np.empty(count)
    step = max(1, count // 100)
    for index in range(count):
        o, h, lo, v = opens[index], highs[index], lows[index], volumes[index]
        if index and any_signal[index - 1]:
            signal = signals.at(index - 1)
            if signal is not None:
                account.execute(
                    decide(account.position, signal),
                    index,
                    times[index],
                    o,
                    high=h,
                    low=lo,
                    volume=v,
                    reference=closes[index - 1],
                    bracket=bracket_at(hints, index - 1),
                )
        account.on_bar("", index, times[index], o, h, lo, v)
        held = account.position
        position[index] = held
        equity[index] = account.cash + held * closes[index]
        if on_progress is not None and (index + 1) % step == 0:
            on_progress(index + 1, count)
    if on_progress is not None:
        on_progress(count, count)
    return equity, position


def simulate(
    frame: CandleFrame,
    signals: SignalFrame,
    strategy: BaseStrategy,
    config: BacktestConfig,
    on_progress: ProgressCallback | None = None,
    *,
    compiled: bool = True,
) -> BacktestResult:
    """Fill precomputed signals: a loop over the candles with a signal only, curves in numpy.

    With resting orders (limit/stop entries, stop-loss, take-profit, trailing stops, or hints in
    the signals) every candle is visited instead, with the same account code as the event path.
    Otherwise, with fixed-bps slippage and numba installed (and ``compiled``), a compiled kernel
    does the loop with the same float operations, so the result is the same. Every path
    reports ``on_progress(done, total)`` in candles and ends with ``done == total``.
    """
    account = Account(config)
    if config.needs_bars or hint_arrays(signals) is not None:
        equity, position = _simulate_bars(frame, signals, account, on_progress)
        return _result(strategy, account, frame.open_time_ms, equity, position)
    slippage = config.slippage
    if compiled and kernel.AVAILABLE and isinstance(slippage, FixedSlippage):
        return _simulate_compiled(frame, signals, strategy, config, slippage, on_progress)
    count = len(frame)
    fill_bars: list[int] = []
    cash_after: list[float] = [config.initial_cash]
    position_after: list[float] = [0.0]
    active = signals.active()
    active = active[active < count - 1]
    opens = frame.open
    times = frame.open_time_ms
    step = max(1, len(active) // 100)
    for done, index in enumerate(active.tolist(), start=1):
        if on_progress is not None and done % step == 0:
            on_progress(index + 1, count)
        signal = signals.at(index)
        if signal is not None:
            decision = decide(account.position, signal)
            if decision.close or decision.open:
                fill = index + 1
                account.execute(
                    decision,
                    fill,
                    int(times[fill]),
                    float(opens[fill]),
                    high=float(frame.high[fill]),
                    low=float(frame.low[fill]),
                    volume=float(frame.volume[fill]),
                )
                fill_bars.append(fill)
                cash_after.append(account.cash)
                position_after.append(account.position)
    # Cash and position are constant between fills: index them by the number of fills so far.
    segment = np.searchsorted(np.asarray(fill_bars, dtype=np.int64), np.arange(count), "right")
    cash = np.asarray(cash_after)[segment]
    position = np.asarray(position_after)[segment]
    equity = cash + position * frame.close
    if on_progress is not None:
        on_progress(count, count)
    return _result(strategy, account, frame.open_time_ms, equity, position)


def _simulate_compiled(
    frame: CandleFrame,
    signals: SignalFrame,
    strategy: BaseStrategy,
    config: BacktestConfig,
    slippage: FixedSlippage,
    on_progress: ProgressCallback | None,
) -> BacktestResult:
    # Market orders only: the compiled kernel does the Python loop's float operations in order,
    # and measures the equity curve's statistics as it writes the curve.
    sizing = config.position_sizing
    (
        equity,
        sides,
        sizes,
        entry_bars,
        entry_prices,
        exit_bars,
        exit_prices,
        fees,
        pnls,
        cash,
        fees_paid,
        fills,
        side,
        size,
        entry_bar,
        entry_price,
        entry_fee,
        held_bars,
        curve,
    ) = kernel.fill_market(
        np.ascontiguousarray(frame.open_time_ms, dtype=np.int64),
        np.ascontiguousarray(frame.open, dtype=np.float64),
        np.ascontiguousarray(frame.close, dtype=np.float64),
        np.ascontiguousarray(signals.enter_long, dtype=np.bool_),
        np.ascontiguousarray(signals.exit_long, dtype=np.bool_),
        np.ascontiguousarray(signals.enter_short, dtype=np.bool_),
        np.ascontiguousarray(signals.exit_short, dtype=np.bool_),
        float(config.fees.rate(maker=False)),
        float(slippage.bps) / 10_000.0,
        kernel.SIZING_CODES[sizing.mode],
        float(sizing.value),
        float(sizing.quantity_step),
        float(config.initial_cash),
    )
    times = frame.open_time_ms
    trades = TradeLog.from_columns(
        TradeColumns(
            sides,
            sizes,
            entry_bars,
            times[entry_bars],
            entry_prices,
            exit_bars,
            times[exit_bars],
            exit_prices,
            fees,
            pnls,
        )
    )
    open_position = None
    if side != 0:
        name = "long" if side > 0 else "short"
        open_position = OpenPosition(
            name,
            float(size),
            int(entry_bar),
            int(times[entry_bar]),
            float(entry_price),
            float(entry_fee),
        )
    if on_progress is not None:
        on_progress(len(frame), len(frame))
    return build_result(
        strategy,
        config,
        times,
        equity,
        trades,
        open_position,
        (float(cash), float(fees_paid), int(fills)),
        int(held_bars),
        compiled_curve_stats(curve, times),
    )


def run_backtest(
    strategy: BaseStrategy,
    frame: CandleFrame,
    config: BacktestConfig,
    on_progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Backtest on the fast path: the strategy's vectorised signals, then ``simulate``."""
    return simulate(frame, strategy.generate(frame), strategy, config, on_progress)


class EventBacktest:
    """Backtest on the event path: closed candles one at a time, as a live instance sees them."""

    def __init__(self, strategy: BaseStrategy, config: BacktestConfig) -> None:
        strategy.reset()
        self.strategy = strategy
        self.account = Account(config)
        self._pending: Signal | None = None
        self._reference = math.nan
        self._times: list[int] = []
        self._equity: list[float] = []
        self._position: list[float] = []

    def on_candle(self, bar: PriceBar) -> Signal | None:
        """Fill the pending orders at this candle's open, then add the candle to the strategy."""
        index = len(self._times)
        account = self.account
        pending = self._pending
        if pending is not None:
            account.execute(
                decide(account.position, pending),
                index,
                bar.open_time_ms,
                bar.open,
                high=bar.high,
                low=bar.low,
                volume=bar.volume,
                reference=self._reference,
                bracket=signal_bracket(pending),
            )
        holding = account.holdings.get("")
        # Without a resting entry or a protective price the candle's range changes nothing.
        if account.resting or (holding is not None and _protected(holding)):
            account.on_bar("", index, bar.open_time_ms, bar.open, bar.high, bar.low, bar.volume)
            holding = account.holdings.get("")
        signal = self._pending = self.strategy.on_candle(bar)
        close = self._reference = bar.close
        held = 0.0 if holding is None else holding.direction * holding.entry.size
        self._times.append(bar.open_time_ms)
        self._equity.append(account.cash + held * close)
        self._position.append(held)
        return signal

    def result(self) -> BacktestResult:
        """Return the result so far (a pending signal of the last candle stays unfilled)."""
        return _result(
            self.strategy,
            self.account,
            np.asarray(self._times, dtype=np.int64),
            np.asarray(self._equity, dtype=np.float64),
            np.asarray(self._position, dtype=np.float64),
        )


def run_event_backtest(
    strategy: BaseStrategy, frame: CandleFrame, config: BacktestConfig
) -> BacktestResult:
    """Backtest on the event path over a whole frame."""
    backtest = EventBacktest(strategy, config)
    on_candle = backtest.on_candle
    columns = (frame.open_time_ms, frame.open, frame.high, frame.low, frame.close, frame.volume)
    # tolist() gives the same Python ints and floats as ``frame.bar``, without a call per candle.
    for bar in map(PriceBar, *(column.tolist() for column in columns)):
        on_candle(bar)
    return backtest.result()
