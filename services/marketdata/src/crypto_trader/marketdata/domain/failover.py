"""Provider failover: which data provider serves a market, backoff after failures, return home."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crypto_trader.common.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class ProviderSwitch:
    """A change of the provider serving a market, for the caller to log and count."""

    market: str
    from_provider: str
    to_provider: str
    reason: str
    at_ms: int


@dataclass(slots=True)
class _Health:
    failures: int = 0
    retry_at_ms: int = 0


class FailoverPolicy:
    """Choose the provider of one market from an ordered list (the first is preferred).

    A retryable failure puts the provider in exponential, capped backoff and moves the market to
    the next provider not in backoff. Providers ranked ahead of the current one are probed once
    their backoff is over (and at most once per ``probe_interval_ms``); a success moves the market
    back to them. Every change of provider is returned as a ``ProviderSwitch``.
    """

    def __init__(
        self,
        market: str,
        providers: Sequence[str],
        *,
        base_backoff_ms: int = 1_000,
        max_backoff_ms: int = 60_000,
        probe_interval_ms: int = 30_000,
    ) -> None:
        if not providers or len(set(providers)) != len(providers):
            raise InvalidInput(f"{market}: providers must be a non-empty list without repeats")
        if base_backoff_ms <= 0 or max_backoff_ms < base_backoff_ms or probe_interval_ms < 0:
            raise InvalidInput(f"{market}: backoff and probe intervals must be positive")
        self.market = market
        self.providers = tuple(providers)
        self._base_ms = base_backoff_ms
        self._max_ms = max_backoff_ms
        self._probe_interval_ms = probe_interval_ms
        self._health = {name: _Health() for name in self.providers}
        self._current = self.providers[0]
        self._last_probe_ms: int | None = None

    @property
    def current(self) -> str:
        """Return the provider now serving the market."""
        return self._current

    @property
    def preferred(self) -> str:
        """Return the first (preferred) provider."""
        return self.providers[0]

    def backoff_ms(self, failures: int) -> int:
        """Return the wait after the n-th consecutive failure: doubling from the base, capped."""
        if failures <= 0:
            return 0
        doubled: int = self._base_ms * 2 ** min(failures - 1, 62)
        return min(self._max_ms, doubled)

    def wait_ms(self, now_ms: int) -> int:
        """Return how long to wait before the current provider may be asked again."""
        return max(0, self._health[self._current].retry_at_ms - now_ms)

    def probe_due(self, now_ms: int) -> str | None:
        """Return the best provider ranked ahead of the current one that should be tried now."""
        if self._current == self.preferred:
            return None
        if (
            self._last_probe_ms is not None
            and now_ms - self._last_probe_ms < self._probe_interval_ms
        ):
            return None
        for name in self.providers[: self.providers.index(self._current)]:
            if self._health[name].retry_at_ms <= now_ms:
                self._last_probe_ms = now_ms
                return name
        return None

    def record_success(self, provider: str, now_ms: int) -> ProviderSwitch | None:
        """Clear the provider's backoff; move back to it when it ranks ahead of the current one."""
        self._health[provider] = _Health()
        if self.providers.index(provider) < self.providers.index(self._current):
            return self._switch(provider, "recovered", now_ms)
        return None

    def record_failure(self, provider: str, now_ms: int, reason: str) -> ProviderSwitch | None:
        """Back the provider off; when it is the current one, move to the next available one."""
        health = self._health[provider]
        health.failures += 1
        health.retry_at_ms = now_ms + self.backoff_ms(health.failures)
        if provider != self._current:
            return None
        target = self._next_available(provider, now_ms)
        if target == provider:
            return None
        return self._switch(target, reason, now_ms)

    def _next_available(self, failed: str, now_ms: int) -> str:
        start = self.providers.index(failed)
        ordered = self.providers[start + 1 :] + self.providers[: start + 1]
        for name in ordered:
            if self._health[name].retry_at_ms <= now_ms:
                return name
        # All are backing off: wait for the one that recovers first (ties keep the ranking).
        return min(ordered, key=lambda name: self._health[name].retry_at_ms)

    def _switch(self, target: str, reason: str, now_ms: int) -> ProviderSwitch:
        switch = ProviderSwitch(self.market, self._current, target, reason, now_ms)
        self._current = target
        return switch
