"""What the strategy handlers need from the outside world, as protocols."""

from __future__ import annotations

from typing import Protocol

from crypto_trader.common.model import Candle
from crypto_trader.strategy.domain.instance import (
    InstanceProgress,
    InstanceSpec,
    InstanceStatus,
    Signal,
)


class MarketHistory(Protocol):
    """Read stored candles from marketdata."""

    async def candles_before(
        self, exchange: str, symbol: str, timeframe: str, *, end_ms: int, limit: int
    ) -> list[Candle]:
        """Return the newest ``limit`` closed candles opening before ``end_ms``, oldest first."""
        ...


class InstanceRepository(Protocol):
    """Keep strategy instances and their progress across restarts (sync: call through a thread)."""

    def register(self, spec: InstanceSpec) -> InstanceProgress:
        """Record the instance if it is new and return its stored progress."""
        ...

    def save_progress(self, progress: InstanceProgress) -> None:
        """Store the progress of a registered instance."""
        ...

    def get(self, instance_id: str) -> InstanceStatus | None:
        """Return one instance, or None when it is unknown."""
        ...

    def list(self) -> list[InstanceStatus]:
        """Return every known instance."""
        ...


class SignalPublisher(Protocol):
    """Deliver signals to risk durably, deduplicated by signal id."""

    async def publish(self, signal: Signal) -> None:
        """Publish one signal (with an entry's exit hints); the same signal again does nothing."""
        ...
