"""Use cases of the strategy service: run many instances over closed candles, once per candle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Candle
from crypto_trader.common.protective_exit import ExitHints
from crypto_trader.strategy.domain.framework import BaseStrategy, SignalAction
from crypto_trader.strategy.domain.indicators import PriceBar
from crypto_trader.strategy.domain.instance import (
    InstanceProgress,
    InstanceSpec,
    Signal,
    planned_actions,
    signal_id,
)
from crypto_trader.strategy.domain.schedule import EntryBudget, allows_entry
from crypto_trader.strategy.ports import InstanceRepository, MarketHistory, SignalPublisher

log = logging.getLogger(__name__)

Market = tuple[str, str, str]


def price_bar(candle: Candle) -> PriceBar:
    """Return a candle as the floats the framework's event path reads."""
    return PriceBar(
        candle.open_time_ms,
        float(candle.open),
        float(candle.high),
        float(candle.low),
        float(candle.close),
        float(candle.volume),
    )


class StrategyRunner:
    """Drive one instance with closed candles through the framework's event path.

    Candles at or before the last processed one are ignored, so redeliveries do nothing. The
    strategy's state is saved with the progress after every candle and restored after a restart,
    so a restarted instance emits exactly what an uninterrupted one would; an instance without a
    saved state (new, or whose strategy cannot save one) warms up from marketdata's history.

    A candle's signal becomes one published signal per action, exits before the entry (a reversal
    publishes the exit, then the opposite entry). Entries, long or short, pass the instance's
    schedule, judged by the candle's close time (not the clock); exits always pass.
    """

    def __init__(
        self,
        spec: InstanceSpec,
        strategy_factory: Callable[[], BaseStrategy],
        *,
        history: MarketHistory,
        instances: InstanceRepository,
        publisher: SignalPublisher,
        clock: Clock,
    ) -> None:
        self.spec = spec
        self._factory = strategy_factory
        self._history = history
        self._instances = instances
        self._publisher = publisher
        self._clock = clock
        self._strategy: BaseStrategy | None = None
        self._progress: InstanceProgress | None = None
        self.failure: str | None = None

    @property
    def market(self) -> Market:
        """Return the instance's exchange, symbol and timeframe."""
        return (self.spec.exchange, self.spec.symbol, self.spec.timeframe)

    def accepts(self, candle: Candle) -> bool:
        """Tell whether the candle is a closed candle of this instance's market."""
        return candle.closed and (candle.exchange, candle.symbol, candle.timeframe) == self.market

    async def process_candle(self, candle: Candle) -> list[Signal]:
        """Feed one candle; publish and return the signals it triggers, in trading order."""
        if self.failure is not None or not self.accepts(candle):
            return []
        progress = self._progress
        if progress is None:
            progress = await asyncio.to_thread(self._instances.register, self.spec)
            self._progress = progress
        if progress.has_processed(candle.open_time_ms):
            log.debug("skipping candle %d: already processed", candle.open_time_ms)
            return []
        try:
            strategy = self._strategy or await self._restore(progress, candle.open_time_ms)
            planned = self._run_strategy(strategy, candle)
            signals, budget = self._scheduled(candle, planned, progress.budget)
            # In order: after a failure the candle is redelivered and the signals already
            # published are deduplicated by their ids.
            for signal in signals:
                await self._publisher.publish(signal)
            progress = progress.after_candle(
                candle.open_time_ms,
                emitted=len(signals),
                budget=budget,
                strategy_state=strategy.state(),
            )
            await asyncio.to_thread(self._instances.save_progress, progress)
        except BaseException:
            # The strategy may already include this candle: restore it from the last saved
            # progress when the candle is redelivered instead of counting it twice.
            self._strategy = None
            raise
        self._strategy = strategy
        self._progress = progress
        return signals

    def _scheduled(
        self,
        candle: Candle,
        planned: tuple[tuple[SignalAction, ExitHints], ...],
        budget: EntryBudget,
    ) -> tuple[list[Signal], EntryBudget]:
        budget = budget.on(candle.close_time_ms)
        signals = []
        for action, hints in planned:
            if action.enters:
                if not allows_entry(self.spec.schedule, budget, candle.close_time_ms):
                    log.info("instance %s: entry outside its schedule", self.spec.instance_id)
                    continue
                budget = budget.taken()
            signals.append(self._signal(candle, action, hints))
        return signals, budget

    def _run_strategy(
        self, strategy: BaseStrategy, candle: Candle
    ) -> tuple[tuple[SignalAction, ExitHints], ...]:
        try:
            return planned_actions(strategy.on_candle(price_bar(candle)), candle.close)
        except Exception as error:
            # A bug in a (user) strategy stops this instance only, not the service.
            self.failure = f"{type(error).__name__}: {error}"
            log.exception("instance %s stopped: its strategy failed", self.spec.instance_id)
            raise InvalidInput(f"strategy of instance {self.spec.instance_id} failed") from error

    async def _restore(self, progress: InstanceProgress, end_ms: int) -> BaseStrategy:
        strategy = self._factory()
        if progress.strategy_state is not None:
            try:
                strategy.load_state(progress.strategy_state)
            except InvalidInput:
                log.warning("instance %s: saved state unusable, warming up", progress.instance_id)
                strategy.reset()
            else:
                return strategy
        # Without a saved state: replay the candles before this one (3x the warm-up lets
        # recursive indicators such as EMA or RSI settle).
        limit = max(strategy.warmup * 3, 1)
        exchange, symbol, timeframe = self.market
        candles = await self._history.candles_before(
            exchange, symbol, timeframe, end_ms=end_ms, limit=limit
        )
        earlier = sorted(
            (c for c in candles if c.closed and c.open_time_ms < end_ms),
            key=lambda c: c.open_time_ms,
        )[-limit:]
        for candle in earlier:
            strategy.on_candle(price_bar(candle))
        log.info("instance %s warmed up with %d candles", progress.instance_id, len(earlier))
        return strategy

    def _signal(self, candle: Candle, action: SignalAction, hints: ExitHints) -> Signal:
        spec = self.spec
        now = self._clock.now_ms()
        return Signal(
            signal_id=signal_id(spec.instance_id, candle.open_time_ms, action),
            instance_id=spec.instance_id,
            strategy=spec.strategy,
            account=spec.account,
            exchange=spec.exchange,
            symbol=spec.symbol,
            timeframe=spec.timeframe,
            action=action,
            reference_price=candle.close,
            candle_open_time_ms=candle.open_time_ms,
            ts_event=now,
            ts_init=now,
            hints=hints,
        )


class InstanceFleet:
    """The instances of this replica: route each candle to every instance of its market."""

    def __init__(self, runners: Iterable[StrategyRunner]) -> None:
        self.runners = list(runners)

    def markets(self) -> list[Market]:
        """Return the markets the instances trade, sorted."""
        return sorted({runner.market for runner in self.runners})

    def running(self) -> set[str]:
        """Return the ids of the instances that run (not stopped by a strategy failure)."""
        return {r.spec.instance_id for r in self.runners if r.failure is None}

    async def process_candle(self, candle: Candle) -> list[Signal]:
        """Feed one candle to its market's instances; raise the first error after trying all.

        A strategy failure stops only its instance (logged, not raised); any other error (the
        bus, the database) is raised so the candle is redelivered, and instances that did
        process it skip it then.
        """
        signals: list[Signal] = []
        errors: list[BaseException] = []
        for runner in self.runners:
            if not runner.accepts(candle):
                continue
            try:
                signals += await runner.process_candle(candle)
            except InvalidInput:
                if runner.failure is None:
                    raise
                continue
            except Exception as error:  # noqa: BLE001 - let the other instances run first
                errors.append(error)
                continue
        if errors:
            raise errors[0]
        return signals
