"""Flow control of an unpaced replay: never lead any candle consumer by more than a bound."""

from __future__ import annotations

from crypto_trader.common.errors import ConfigurationError


class LagBudget:
    """Count how many candles may still go out before the consumers' lag must be read again.

    After a reading of ``lag`` messages (the most any consumer has pending), ``max_lag - lag``
    more candles keep every consumer within ``max_lag`` even if none of them reads meanwhile, so
    the lag is read once per ``max_lag`` candles when consumers keep up, and the replay waits only
    when one of them falls behind.
    """

    def __init__(self, max_lag: int) -> None:
        if max_lag <= 0:
            raise ConfigurationError(f"the replay's lag bound must be positive, got {max_lag}")
        self.max_lag = max_lag
        self._left = 0

    @property
    def exhausted(self) -> bool:
        """Tell whether the lag must be read before the next candle goes out."""
        return self._left <= 0

    def refill(self, lag: int) -> bool:
        """Take a lag reading; return whether a candle may go out now."""
        self._left = self.max_lag - max(0, lag)
        return self._left > 0

    def spend(self) -> None:
        """Count one candle published."""
        self._left -= 1
