"""In-memory fakes of the strategy ports and candle builders, for tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle, Timeframe
from crypto_trader.common.protective_exit import ExitHints
from crypto_trader.strategy.domain.framework import BaseStrategy, SignalAction
from crypto_trader.strategy.domain.indicators import CandleFrame
from crypto_trader.strategy.domain.instance import (
    InstanceProgress,
    InstanceSpec,
    InstanceStatus,
    Signal,
    planned_actions,
)

START_MS = 1_606_780_800_000  # 2020-12-01 00:00 UTC


def candles_from_closes(
    closes: Sequence[Decimal],
    *,
    exchange: str = "binance",
    symbol: str = "BTC/USDT",
    timeframe: str = "5m",
    start_ms: int = START_MS,
) -> list[Candle]:
    """Build consecutive closed candles whose closes are the given prices."""
    step = Timeframe(timeframe).milliseconds
    candles = []
    previous = closes[0] if closes else Decimal(0)
    for index, close in enumerate(closes):
        candles.append(
            Candle(
                exchange=exchange,
                symbol=symbol,
                timeframe=timeframe,
                open_time_ms=start_ms + index * step,
                open=previous,
                high=max(previous, close),
                low=min(previous, close),
                close=close,
                volume=Decimal(1),
            )
        )
        previous = close
    return candles


def candle_frame(candles: Sequence[Candle]) -> CandleFrame:
    """Return candles as the float frame of the vectorised path (the floats the live path reads)."""
    return CandleFrame.from_rows(
        [
            [
                c.open_time_ms,
                float(c.open),
                float(c.high),
                float(c.low),
                float(c.close),
                float(c.volume),
            ]
            for c in candles
        ]
    )


def vectorised_actions(
    strategy: BaseStrategy, candles: Sequence[Candle]
) -> list[tuple[int, SignalAction, ExitHints]]:
    """Return ``(candle index, action, hints)`` of the vectorised path, in trading order: what a
    live instance of the strategy must publish for the same candles (without a schedule)."""
    signals = strategy.generate(candle_frame(candles))
    return [
        (int(index), action, hints)
        for index in signals.active()
        for action, hints in planned_actions(signals.at(int(index)), candles[int(index)].close)
    ]


class FakeMarketHistory:
    """Answer history requests from a list of candles, as marketdata's store would."""

    def __init__(self, candles: Sequence[Candle] = ()) -> None:
        self.candles = list(candles)
        self.requests: list[tuple[int, int]] = []

    async def candles_before(
        self, exchange: str, symbol: str, timeframe: str, *, end_ms: int, limit: int
    ) -> list[Candle]:
        self.requests.append((end_ms, limit))
        matching = [
            c
            for c in self.candles
            if (c.exchange, c.symbol, c.timeframe) == (exchange, symbol, timeframe)
            and c.open_time_ms < end_ms
        ]
        return sorted(matching, key=lambda c: c.open_time_ms)[-limit:]


class InMemoryInstanceRepository:
    """Keep instances in a dict."""

    def __init__(self) -> None:
        self.instances: dict[str, InstanceStatus] = {}

    def register(self, spec: InstanceSpec) -> InstanceProgress:
        status = self.instances.setdefault(
            spec.instance_id, InstanceStatus(spec, InstanceProgress(spec.instance_id))
        )
        return status.progress

    def save_progress(self, progress: InstanceProgress) -> None:
        status = self.instances[progress.instance_id]
        self.instances[progress.instance_id] = replace(status, progress=progress)

    def get(self, instance_id: str) -> InstanceStatus | None:
        return self.instances.get(instance_id)

    def list(self) -> list[InstanceStatus]:
        return list(self.instances.values())


class RecordingSignalPublisher:
    """Record published signals; deduplicate by signal id like JetStream; fail on demand."""

    def __init__(self) -> None:
        self.published: list[Signal] = []
        self.attempts = 0
        self.failures_left = 0

    async def publish(self, signal: Signal) -> None:
        self.attempts += 1
        if self.failures_left > 0:
            self.failures_left -= 1
            raise RetryableError("bus unavailable (fake)")
        if all(s.signal_id != signal.signal_id for s in self.published):
            self.published.append(signal)
