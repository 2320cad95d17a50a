"""Protective exits of an open position: exit hints on the wire and the candle trigger rules.

Hints travel as absolute prices (strings on the wire). A strategy gives the stop-loss and the
take-profit as prices and the trailing stop as a fraction; ``hints_from_strategy`` turns the
fraction into the price of the trailing stop when placed, from the signal's reference price
(``reference * (1 - f)`` for a long, ``reference * (1 + f)`` for a short), and ``trail_fraction``
turns it back. The trail then keeps that fraction behind the favourable extreme.

Trigger rules, one candle at a time (those the backtest engine documents; a short mirrors a long):

1. the open: a stop (stop-loss or trailing stop, whichever is tighter) the open gapped through
   fills at the open; otherwise a take-profit the open reached fills at the open;
2. the adverse extreme (the low for a long, the high for a short): a stop inside the candle fills
   at its price, so when a stop and a take-profit both lie inside one candle the stop wins (the
   path inside the candle is unknown: the conservative assumption);
3. the favourable extreme: a take-profit inside the candle fills at its price;
4. after the checks, the trailing stop follows the favourable extreme.

Stops are takers (slippage against them, the taker fee); a take-profit is a maker (its price, the
maker fee).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side, decimal_str

# Enough digits that a trailing level (extreme * (1 - f)) is exact for any realistic market.
_PRECISION = 60


class ExitReason(enum.StrEnum):
    """Why a protective exit closed a position."""

    STOP_LOSS = "stop_loss"
    TRAILING_STOP = "trailing_stop"
    TAKE_PROFIT = "take_profit"


@dataclass(frozen=True, slots=True)
class ExitHints:
    """Protective prices an entry asks for (None: not set), all absolute prices."""

    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    trailing_stop: Decimal | None = None

    @property
    def empty(self) -> bool:
        """Tell whether no protective exit is asked for."""
        return self.stop_loss is None and self.take_profit is None and self.trailing_stop is None


NO_HINTS = ExitHints()


def _direction(side: Side) -> int:
    # The side of the entry: a buy opens a long (+1), a sell a short (-1).
    return 1 if side is Side.BUY else -1


def _decimal_hint(value: float | None, name: str) -> Decimal | None:
    if value is None or value != value:  # None or NaN: no hint
        return None
    # repr gives the shortest decimal that reads back as the same float: 0.05, not 0.05000000000277
    number = Decimal(repr(float(value)))
    if not number.is_finite() or number <= 0:
        raise InvalidInput(f"{name} must be a positive number, got {value}")
    return number


def hints_from_strategy(
    side: Side,
    reference_price: Decimal,
    *,
    stop_loss: float | None = None,
    take_profit: float | None = None,
    trailing_fraction: float | None = None,
) -> ExitHints:
    """Return the wire hints of an entry on ``side``: prices kept, the trail fraction priced.

    Raises
    ------
    InvalidInput
        When a hint is not a positive number or the trail fraction is not below 1.
    """
    fraction = _decimal_hint(trailing_fraction, "trailing_stop")
    trailing = None
    if fraction is not None:
        if fraction >= 1:
            raise InvalidInput(f"trailing_stop must be a fraction below 1, got {trailing_fraction}")
        with localcontext(prec=_PRECISION):
            trailing = reference_price * (1 - _direction(side) * fraction)
    return ExitHints(
        stop_loss=_decimal_hint(stop_loss, "stop_loss"),
        take_profit=_decimal_hint(take_profit, "take_profit"),
        trailing_stop=trailing,
    )


def hint_problem(side: Side, reference_price: Decimal, hints: ExitHints) -> str | None:
    """Say why the hints of an entry on ``side`` cannot protect it, or None when they can.

    A long's stops must lie below the reference price and its take-profit above; a short's
    the other way round.
    """
    d = _direction(side)
    position = "long" if d > 0 else "short"
    ref = decimal_str(reference_price)
    for name, price, beyond in (
        ("stop_loss", hints.stop_loss, -d),
        ("trailing_stop", hints.trailing_stop, -d),
        ("take_profit", hints.take_profit, d),
    ):
        if price is None:
            continue
        if not price.is_finite() or price <= 0:
            return f"{name} {decimal_str(price)} must be a positive price"
        if beyond * (price - reference_price) <= 0:
            where = "above" if beyond > 0 else "below"
            return (
                f"{name} {decimal_str(price)} is on the wrong side of the price {ref}:"
                f" a {position}'s {name} must be {where} it"
            )
    return None


def trail_fraction(side: Side, reference_price: Decimal, trailing_stop: Decimal) -> Decimal:
    """Return the trail (a fraction of the price) a wire trailing-stop price stands for."""
    with localcontext(prec=_PRECISION):
        return _direction(side) * (reference_price - trailing_stop) / reference_price


@dataclass(frozen=True, slots=True)
class Protection:
    """The protective exits of one open position.

    ``side`` is the side of the entry (BUY: a long). ``trail`` is a fraction kept behind
    ``extreme``, the favourable extreme since the entry (its fill price at first).
    """

    side: Side
    extreme: Decimal
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    trail: Decimal | None = None

    def stop(self) -> tuple[Decimal, ExitReason] | None:
        """Return the tighter of the stop-loss and the trailing level, with which one it is."""
        d = _direction(self.side)
        stops: list[tuple[Decimal, ExitReason]] = []
        if self.stop_loss is not None:
            stops.append((self.stop_loss, ExitReason.STOP_LOSS))
        if self.trail is not None:
            with localcontext(prec=_PRECISION):
                level = self.extreme * (1 - d * self.trail)
            stops.append((level, ExitReason.TRAILING_STOP))
        if not stops:
            return None
        # A long's tighter stop is the higher one; the stop-loss wins a tie (listed first).
        return max(stops, key=lambda item: d * item[0])


@dataclass(frozen=True, slots=True)
class ExitTrigger:
    """A protective exit that fires in a candle: why, at which price, and whether as a taker."""

    reason: ExitReason
    price: Decimal
    at_open: bool

    @property
    def taker(self) -> bool:
        """Tell whether the exit takes liquidity (stops) rather than resting (take-profit)."""
        return self.reason is not ExitReason.TAKE_PROFIT


def protect(
    side: Side,
    entry_price: Decimal,
    hints: ExitHints,
    *,
    reference_price: Decimal,
) -> Protection | None:
    """Return the protection of an entry filled at ``entry_price``, or None without hints."""
    if hints.empty:
        return None
    trail = None
    if hints.trailing_stop is not None:
        trail = trail_fraction(side, reference_price, hints.trailing_stop)
    return Protection(
        side=side,
        extreme=entry_price,
        stop_loss=hints.stop_loss,
        take_profit=hints.take_profit,
        trail=trail,
    )


def trigger(
    protection: Protection, *, open_: Decimal, high: Decimal, low: Decimal
) -> ExitTrigger | None:
    """Return the protective exit a candle fires, or None (the rules in the module docstring)."""
    d = _direction(protection.side)
    adverse, favourable = (low, high) if d > 0 else (high, low)
    stop = protection.stop()
    target = protection.take_profit
    if stop is not None and d * (open_ - stop[0]) <= 0:
        return ExitTrigger(stop[1], open_, at_open=True)
    if target is not None and d * (open_ - target) >= 0:
        return ExitTrigger(ExitReason.TAKE_PROFIT, open_, at_open=True)
    if stop is not None and d * (adverse - stop[0]) <= 0:
        return ExitTrigger(stop[1], stop[0], at_open=False)
    if target is not None and d * (favourable - target) >= 0:
        return ExitTrigger(ExitReason.TAKE_PROFIT, target, at_open=False)
    return None


def after_candle(protection: Protection, *, high: Decimal, low: Decimal) -> Protection:
    """Return the protection once a candle passed without an exit: the trail follows it."""
    if protection.side is Side.BUY:
        extreme = max(protection.extreme, high)
    else:
        extreme = min(protection.extreme, low)
    return replace(protection, extreme=extreme)
