"""Backtest a strategy on candles, vectorised (fast path) or one candle at a time (event path).

Intrabar rules, the same in both paths:

- A strategy sees a candle only once it has closed. The orders its signal asks for are market orders
  filled at the OPEN of the next candle; a signal on the last candle is never filled.
- Buys fill at ``open * (1 + slippage)``, sells at ``open * (1 - slippage)`` (slippage in bps). The
  fee is ``fee_rate * size * fill price``, paid in cash on every fill (a taker fee).
- Exits come before entries at the same open: on a reversal the old position is closed first and the
  new one is sized from the cash that close left.
- Entries go all in: ``size = cash / (price * (1 + fee_rate))`` (fractional, or floored to the
  quantity step when one is set); shorts are sized the same way from equity.
- High and low are not used (no stops, no limit orders); there are no margin calls.
- A position still open after the last candle is marked at that candle's close and not closed: it is
  in the final equity but not in the trade list (as ``open_position``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from crypto_trader.strategy.domain.backtesting.account import (
    Account,
    BacktestConfig,
    OpenPosition,
    Trade,
    decide,
)
from crypto_trader.strategy.domain.backtesting.metrics import (
    Metrics,
    compute_metrics,
    drawdown_curve,
)
from crypto_trader.strategy.domain.framework.base import (
    BaseStrategy,
    CandleFrame,
    FloatArray,
    IntArray,
    PriceBar,
    Signal,
    SignalFrame,
)

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """Outcome of a backtest: trades, curves (one value per candle) and metrics."""

    strategy: str
    params: dict[str, int | float | bool]
    config: BacktestConfig
    open_time_ms: IntArray
    equity: FloatArray
    drawdown: FloatArray
    position: FloatArray
    trades: tuple[Trade, ...]
    open_position: OpenPosition | None
    final_equity: float
    cash: float
    fees_paid: float
    fills: int
    metrics: Metrics


def _result(
    strategy: BaseStrategy,
    account: Account,
    open_time_ms: IntArray,
    equity: FloatArray,
    position: FloatArray,
) -> BacktestResult:
    config = account.config
    exposure = float(np.mean(position != 0)) if len(position) else 0.0
    return BacktestResult(
        strategy=strategy.name,
        params=dict(strategy.params),
        config=config,
        open_time_ms=open_time_ms,
        equity=equity,
        drawdown=drawdown_curve(equity),
        position=position,
        trades=tuple(account.trades),
        open_position=account.open_position,
        final_equity=float(equity[-1]) if len(equity) else config.initial_cash,
        cash=account.cash,
        fees_paid=account.fees_paid,
        fills=account.fills,
        metrics=compute_metrics(
            equity, open_time_ms, exposure, account.trades, account.fees_paid, config.initial_cash
        ),
    )


def simulate(
    frame: CandleFrame,
    signals: SignalFrame,
    strategy: BaseStrategy,
    config: BacktestConfig,
    on_progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Fill precomputed signals: a loop over the candles with a signal only, curves in numpy."""
    account = Account(config)
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
        signal = signals.at(index)
        if signal is not None:
            decision = decide(account.position, signal)
            if decision.close or decision.open:
                fill = index + 1
                account.execute(decision, fill, int(times[fill]), float(opens[fill]))
                fill_bars.append(fill)
                cash_after.append(account.cash)
                position_after.append(account.position)
        if on_progress is not None and done % step == 0:
            on_progress(done, len(active))
    # Cash and position are constant between fills: index them by the number of fills so far.
    segment = np.searchsorted(np.asarray(fill_bars, dtype=np.int64), np.arange(count), "right")
    cash = np.asarray(cash_after)[segment]
    position = np.asarray(position_after)[segment]
    equity = cash + position * frame.close
    if on_progress is not None:
        on_progress(len(active), len(active))
    return _result(strategy, account, frame.open_time_ms, equity, position)


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
        self._times: list[int] = []
        self._equity: list[float] = []
        self._position: list[float] = []

    def on_candle(self, bar: PriceBar) -> Signal | None:
        """Fill the pending orders at this candle's open, then add the candle to the strategy."""
        index = len(self._times)
        account = self.account
        if self._pending is not None:
            decision = decide(account.position, self._pending)
            account.execute(decision, index, bar.open_time_ms, bar.open)
        signal = self.strategy.on_candle(bar)
        self._pending = signal
        self._times.append(bar.open_time_ms)
        self._equity.append(account.equity(bar.close))
        self._position.append(account.position)
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
    for index in range(len(frame)):
        backtest.on_candle(frame.bar(index))
    return backtest.result()
