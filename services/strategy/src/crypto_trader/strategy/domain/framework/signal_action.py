"""The actions a strategy's signal asks for, in the order they are traded.

A signal may ask for several things on one candle (a reversal is an exit and an entry). They are
traded exits first, then at most one entry, with the backtest engine's rule for conflicts: an
entry is dropped when the signal also exits that side or also enters the other side.
"""

from __future__ import annotations

import enum

from crypto_trader.strategy.domain.framework.base import Signal


class SignalAction(enum.StrEnum):
    """One thing a signal asks for; the values are the wire names without their prefix."""

    ENTER_LONG = "enter_long"
    EXIT_LONG = "exit_long"
    ENTER_SHORT = "enter_short"
    EXIT_SHORT = "exit_short"

    @property
    def enters(self) -> bool:
        """Tell whether the action opens a position (rather than closing one)."""
        return self in (SignalAction.ENTER_LONG, SignalAction.ENTER_SHORT)

    @property
    def long(self) -> bool:
        """Tell whether the action concerns a long position (rather than a short one)."""
        return self in (SignalAction.ENTER_LONG, SignalAction.EXIT_LONG)


def signal_actions(signal: Signal | None) -> tuple[SignalAction, ...]:
    """Return what a signal asks for: its exits first, then at most one entry."""
    if signal is None:
        return ()
    actions: list[SignalAction] = []
    if signal.exit_long:
        actions.append(SignalAction.EXIT_LONG)
    if signal.exit_short:
        actions.append(SignalAction.EXIT_SHORT)
    if signal.enter_long and not signal.exit_long and not signal.enter_short:
        actions.append(SignalAction.ENTER_LONG)
    elif signal.enter_short and not signal.exit_short and not signal.enter_long:
        actions.append(SignalAction.ENTER_SHORT)
    return tuple(actions)
