"""Use cases of the strategy service: run an instance over closed candles, once per candle."""

from __future__ import annotations

import asyncio
import logging

from crypto_trader.common.clock import Clock
from crypto_trader.common.model import Candle
from crypto_trader.strategy.domain.instance import InstanceProgress, InstanceSpec, Signal, signal_id
from crypto_trader.strategy.domain.sma_cross import SignalAction, SmaCross
from crypto_trader.strategy.ports import InstanceRepository, MarketHistory, SignalPublisher

log = logging.getLogger(__name__)


class StrategyRunner:
    """Drive one SMA-cross instance with closed candles and publish its signals.

    Candles at or before the last processed one are ignored, so redeliveries do nothing. The
    first candle after a (re)start rebuilds the averages from marketdata's history, so a
    restarted instance emits exactly what an uninterrupted one would.
    """

    def __init__(
        self,
        spec: InstanceSpec,
        *,
        history: MarketHistory,
        instances: InstanceRepository,
        publisher: SignalPublisher,
        clock: Clock,
    ) -> None:
        self.spec = spec
        self._history = history
        self._instances = instances
        self._publisher = publisher
        self._clock = clock
        self._cross: SmaCross | None = None
        self._progress: InstanceProgress | None = None

    def accepts(self, candle: Candle) -> bool:
        """Tell whether the candle is a closed candle of this instance's market."""
        spec = self.spec
        return (
            candle.closed
            and candle.exchange == spec.exchange
            and candle.symbol == spec.symbol
            and candle.timeframe == spec.timeframe
        )

    async def process_candle(self, candle: Candle) -> Signal | None:
        """Feed one candle; publish and return the signal it triggers, if any."""
        if not self.accepts(candle):
            return None
        progress = self._progress
        if progress is None:
            progress = await asyncio.to_thread(self._instances.register, self.spec)
            self._progress = progress
        if progress.has_processed(candle.open_time_ms):
            log.debug("skipping candle %d: already processed", candle.open_time_ms)
            return None
        try:
            cross = self._cross or await self._warm_up(candle.open_time_ms)
            action = cross.update(candle.close)
            signal = None if action is None else self._signal(candle, action)
            if signal is not None:
                await self._publisher.publish(signal)
            progress = progress.after_candle(candle.open_time_ms, emitted=signal is not None)
            await asyncio.to_thread(self._instances.save_progress, progress)
        except BaseException:
            # The averages may already include this candle; rebuild them from history when the
            # candle is redelivered instead of counting it twice.
            self._cross = None
            raise
        self._cross = cross
        self._progress = progress
        return signal

    async def _warm_up(self, end_ms: int) -> SmaCross:
        spec = self.spec
        cross = SmaCross(spec.fast, spec.slow)
        candles = await self._history.candles_before(
            spec.exchange, spec.symbol, spec.timeframe, end_ms=end_ms, limit=spec.slow
        )
        earlier = sorted(
            (c for c in candles if c.closed and c.open_time_ms < end_ms), key=_open_time
        )
        cross.warm_up(c.close for c in earlier[-spec.slow :])
        log.info(
            "instance %s warmed up with %d candles", spec.instance_id, len(earlier[-spec.slow :])
        )
        return cross

    def _signal(self, candle: Candle, action: SignalAction) -> Signal:
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
        )


def _open_time(candle: Candle) -> int:
    return candle.open_time_ms
