"""Marking to market: which last price counts, what a position is worth, and an account's equity."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from crypto_trader.portfolio.domain.amount import exact_context
from crypto_trader.portfolio.domain.position import Position

_ZERO = Decimal(0)


class PriceSource(enum.StrEnum):
    """Where a last price came from."""

    CANDLE = "candle"
    FILL = "fill"


@dataclass(frozen=True, slots=True)
class PriceMark:
    """The last price of a market as of a time (a candle's close time, or a fill's time)."""

    exchange: str
    symbol: str
    price: Decimal
    as_of_ms: int
    source: PriceSource


def supersedes(new: PriceMark, old: PriceMark | None) -> bool:
    """Tell whether ``new`` should replace ``old`` as the market's last price.

    Closed candles are the reference: a newer (or equally new) candle wins, a redelivered older one
    does not. A fill price only stands in until the first candle arrives, because fill and candle
    clocks differ (a replayed candle series can be years older than a paper fill's wall-clock time).
    """
    if old is None:
        return True
    if new.source is PriceSource.FILL:
        return old.source is PriceSource.FILL
    return old.source is PriceSource.FILL or new.as_of_ms >= old.as_of_ms


@dataclass(frozen=True, slots=True)
class PositionValue:
    """A position marked at a last price (``None``: the market has no price yet, valued at cost)."""

    position: Position
    last_price: Decimal | None

    @property
    def market_value(self) -> Decimal:
        """Return quantity times last price, or the cost basis when there is no price."""
        if self.last_price is None:
            return self.position.cost_basis
        return self.position.market_value(self.last_price)

    @property
    def unrealised_pnl(self) -> Decimal:
        """Return the open PnL at the last price (zero without a price)."""
        if self.last_price is None:
            return _ZERO
        return self.position.unrealised_pnl(self.last_price)


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    """An account's worth in its quote currency: cash plus the market value of its positions."""

    account: str
    currency: str
    cash: Decimal
    positions_value: Decimal
    realised_pnl: Decimal
    unrealised_pnl: Decimal
    fees_paid: Decimal
    fills_booked: int

    @property
    def equity(self) -> Decimal:
        """Return cash plus positions value."""
        with localcontext(exact_context()):
            return self.cash + self.positions_value


def mark(
    positions: Iterable[Position], prices: Mapping[tuple[str, str], Decimal]
) -> list[PositionValue]:
    """Value each position at its market's last price (keyed by (exchange, symbol))."""
    return [PositionValue(p, prices.get((p.exchange, p.symbol))) for p in positions]


def value_account(
    account: str,
    currency: str,
    *,
    cash: Decimal,
    positions: Iterable[PositionValue],
    fills_booked: int,
) -> EquitySnapshot:
    """Compute an account's equity from its cash and its marked positions."""
    values = list(positions)
    with localcontext(exact_context()):
        return EquitySnapshot(
            account=account,
            currency=currency,
            cash=cash,
            positions_value=sum((v.market_value for v in values), _ZERO),
            realised_pnl=sum((v.position.realised_pnl for v in values), _ZERO),
            unrealised_pnl=sum((v.unrealised_pnl for v in values), _ZERO),
            fees_paid=sum((v.position.fees_paid for v in values), _ZERO),
            fills_booked=fills_booked,
        )
