"""The Order aggregate: its state machine and the exact bookkeeping of its fills."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from decimal import Decimal

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side


class OrderStatus(enum.StrEnum):
    """Where an order is in its life."""

    PENDING_SUBMIT = "pending_submit"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"


class OrderType(enum.StrEnum):
    """How an order prices itself."""

    MARKET = "market"
    LIMIT = "limit"


class TradingMode(enum.StrEnum):
    """Whether an order goes to the paper exchange or a real one."""

    PAPER = "paper"
    LIVE = "live"


# Every legal move; anything else is a bug or a venue report we must not believe blindly.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_SUBMIT: frozenset({OrderStatus.ACCEPTED, OrderStatus.REJECTED}),
    OrderStatus.ACCEPTED: frozenset(
        {
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELED,
            OrderStatus.REJECTED,
        }
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELED}
    ),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
}

OPEN_STATUSES = frozenset({OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED})


class IllegalTransition(InvalidInput):
    """Refuse a state change the order state machine does not allow."""


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of (part of) an order, unique per venue by ``trade_id``."""

    trade_id: str
    client_order_id: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fee_currency: str
    ts_ms: int
    maker: bool = False

    def __post_init__(self) -> None:
        if not self.trade_id:
            raise InvalidInput("a fill needs a trade id")
        if self.quantity <= 0:
            raise InvalidInput(
                f"fill {self.trade_id}: quantity must be positive, got {self.quantity}"
            )
        if self.price <= 0:
            raise InvalidInput(f"fill {self.trade_id}: price must be positive, got {self.price}")
        if self.fee < 0:
            raise InvalidInput(f"fill {self.trade_id}: fee must not be negative, got {self.fee}")


@dataclass(frozen=True, slots=True)
class Order:
    """An order and everything applied to it; every change returns a new Order."""

    client_order_id: str
    account: str
    exchange: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    mode: TradingMode
    timeframe: str
    not_before_ms: int
    created_ms: int
    intent_id: str = ""
    status: OrderStatus = OrderStatus.PENDING_SUBMIT
    venue_order_id: str = ""
    filled_quantity: Decimal = Decimal(0)
    # Σ quantity * price of the fills: kept exact so the average price never drifts.
    filled_notional: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    reason: str = ""
    updated_ms: int = 0
    trade_ids: frozenset[str] = field(default_factory=frozenset)
    # Number of transitions so far; the store refuses a write based on an older version.
    version: int = 0
    # A protective exit execution placed itself: why, and the entry whose position it closes.
    exit_reason: str = ""
    protected_client_order_id: str = ""

    def __post_init__(self) -> None:
        if not self.client_order_id:
            raise InvalidInput("an order needs a client order id")
        if self.quantity <= 0:
            raise InvalidInput(f"order {self.client_order_id}: quantity must be positive")

    @property
    def is_open(self) -> bool:
        """Tell whether the order can still fill or be canceled."""
        return self.status in OPEN_STATUSES

    @property
    def is_terminal(self) -> bool:
        """Tell whether nothing can happen to the order any more."""
        return not TRANSITIONS[self.status]

    @property
    def remaining_quantity(self) -> Decimal:
        """Return the quantity still to fill."""
        return self.quantity - self.filled_quantity

    @property
    def average_price(self) -> Decimal | None:
        """Return the quantity-weighted average fill price, or None before the first fill."""
        if self.filled_quantity == 0:
            return None
        return self.filled_notional / self.filled_quantity

    def accept(self, *, venue_order_id: str, ts_ms: int) -> Order:
        """Record that the venue took the order."""
        return replace(self._move(OrderStatus.ACCEPTED, ts_ms), venue_order_id=venue_order_id)

    def reject(self, *, reason: str, ts_ms: int) -> Order:
        """Record that the venue (or the paper exchange) refused the order."""
        return replace(self._move(OrderStatus.REJECTED, ts_ms), reason=reason)

    def cancel(self, *, reason: str, ts_ms: int) -> Order:
        """Record that the rest of the order will never fill."""
        return replace(self._move(OrderStatus.CANCELED, ts_ms), reason=reason)

    def apply_fill(self, fill: Fill, *, ts_ms: int) -> Order:
        """Add a fill; a trade id already applied changes nothing.

        Raises
        ------
        IllegalTransition
            When the order cannot fill in its current state.
        InvalidInput
            When the fill belongs to another order or would fill more than the order's quantity.
        """
        if fill.trade_id in self.trade_ids:
            return self
        if fill.client_order_id != self.client_order_id:
            raise InvalidInput(
                f"fill {fill.trade_id} is for {fill.client_order_id}, not {self.client_order_id}"
            )
        filled = self.filled_quantity + fill.quantity
        if filled > self.quantity:
            raise InvalidInput(
                f"fill {fill.trade_id} of {fill.quantity} overfills order {self.client_order_id}: "
                f"{self.filled_quantity} of {self.quantity} already filled"
            )
        target = OrderStatus.FILLED if filled == self.quantity else OrderStatus.PARTIALLY_FILLED
        return replace(
            self._move(target, ts_ms),
            filled_quantity=filled,
            filled_notional=self.filled_notional + fill.quantity * fill.price,
            fees=self.fees + fill.fee,
            trade_ids=self.trade_ids | {fill.trade_id},
        )

    def _move(self, target: OrderStatus, ts_ms: int) -> Order:
        if target not in TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"order {self.client_order_id} cannot go from {self.status} to {target}"
            )
        return replace(self, status=target, updated_ms=ts_ms, version=self.version + 1)
