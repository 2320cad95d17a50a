"""The protective exits of one entry order: armed when it fills, checked candle by candle.

The trigger rules themselves live in ``common.protective_exit`` (shared with the backtest's rule
book); this aggregate keeps their state between candles. It is recorded for every entry, with or
without hints, so that a closing order knows whether the position it closes is still open.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from decimal import Decimal

from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle, Side
from crypto_trader.common.protective_exit import (
    ExitHints,
    ExitTrigger,
    Protection,
    after_candle,
    protect,
    trigger,
)


class ProtectionStatus(enum.StrEnum):
    """Where an entry's protection is in its life."""

    # The entry has not filled yet.
    PENDING = "pending"
    # The entry filled without hints: nothing to watch.
    UNPROTECTED = "unprotected"
    ACTIVE = "active"
    TRIGGERED = "triggered"
    CANCELED = "canceled"


def exit_client_order_id(entry_client_order_id: str) -> str:
    """Return the client order id of the protective exit of an entry (one per entry)."""
    return "ct-x-" + stable_id("protective-exit", entry_client_order_id)[:24]


@dataclass(frozen=True, slots=True)
class EntryProtection:
    """An entry order's protective exits and what happened to them."""

    entry_client_order_id: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    # The entry's side: BUY protects a long, SELL a short.
    side: Side
    reference_price: Decimal
    hints: ExitHints
    created_ms: int
    status: ProtectionStatus = ProtectionStatus.PENDING
    quantity: Decimal = Decimal(0)
    # The favourable extreme since the entry filled (the trailing stop follows it).
    extreme: Decimal | None = None
    # Open time of the last candle checked; the entry's fill candle is the first one checked.
    checked_through_ms: int = -1
    exit_reason: str = ""
    updated_ms: int = 0
    version: int = 0

    @property
    def is_watching(self) -> bool:
        """Tell whether candles can still trigger an exit (or will once the entry fills)."""
        return self.status in (ProtectionStatus.PENDING, ProtectionStatus.ACTIVE)

    @property
    def exit_client_order_id(self) -> str:
        """Return the client order id its exit order gets."""
        return exit_client_order_id(self.entry_client_order_id)

    def arm(
        self, *, fill_price: Decimal, quantity: Decimal, candle_open_ms: int, ts_ms: int
    ) -> EntryProtection:
        """Start watching once the entry filled at the open of a candle (checked from that one)."""
        status = ProtectionStatus.UNPROTECTED if self.hints.empty else ProtectionStatus.ACTIVE
        return self._next(
            status=status,
            quantity=quantity,
            extreme=fill_price,
            checked_through_ms=candle_open_ms - 1,
            ts_ms=ts_ms,
        )

    def cancel(self, *, ts_ms: int) -> EntryProtection:
        """Stop watching: the position is being closed by an ordinary exit."""
        return self._next(status=ProtectionStatus.CANCELED, ts_ms=ts_ms)

    def on_candle(
        self, candle: Candle, *, ts_ms: int
    ) -> tuple[EntryProtection, ExitTrigger | None]:
        """Check one candle newer than the last checked; return the new state and any exit."""
        protection = self._protection()
        if (
            self.status is not ProtectionStatus.ACTIVE
            or protection is None
            or candle.open_time_ms <= self.checked_through_ms
        ):
            return self, None
        fired = trigger(protection, open_=candle.open, high=candle.high, low=candle.low)
        if fired is not None:
            after = self._next(
                status=ProtectionStatus.TRIGGERED,
                exit_reason=fired.reason.value,
                checked_through_ms=candle.open_time_ms,
                ts_ms=ts_ms,
            )
            return after, fired
        moved = after_candle(protection, high=candle.high, low=candle.low)
        after = self._next(
            extreme=moved.extreme, checked_through_ms=candle.open_time_ms, ts_ms=ts_ms
        )
        return after, None

    def _protection(self) -> Protection | None:
        if self.extreme is None:
            return None
        return protect(self.side, self.extreme, self.hints, reference_price=self.reference_price)

    def _next(self, *, ts_ms: int, **changes: object) -> EntryProtection:
        return replace(self, updated_ms=ts_ms, version=self.version + 1, **changes)  # type: ignore[arg-type]
