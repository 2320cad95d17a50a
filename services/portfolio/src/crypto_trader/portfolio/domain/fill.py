"""A fill as the portfolio sees it: one venue trade of one account, validated."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side, base_asset, quote_asset, validate_symbol
from crypto_trader.portfolio.domain.amount import is_storable


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of ``quantity`` base at ``price``, ``fee`` charged in the quote currency."""

    exchange: str
    account: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    trade_id: str
    ts_ms: int
    client_order_id: str = ""

    def __post_init__(self) -> None:
        for name in ("exchange", "account", "trade_id"):
            if not getattr(self, name):
                raise InvalidInput(f"fill without {name}")
        validate_symbol(self.symbol)
        if self.quantity <= 0:
            raise InvalidInput(
                f"fill {self.trade_id}: quantity must be positive, got {self.quantity}"
            )
        if self.price <= 0:
            raise InvalidInput(f"fill {self.trade_id}: price must be positive, got {self.price}")
        if self.fee < 0:
            raise InvalidInput(f"fill {self.trade_id}: fee must not be negative, got {self.fee}")
        for name in ("quantity", "price", "fee"):
            if not is_storable(getattr(self, name)):
                raise InvalidInput(
                    f"fill {self.trade_id}: {name} has more digits than the ledger keeps"
                )

    @property
    def source_key(self) -> str:
        """Return the ledger's once-only key: a trade id is unique per exchange and account."""
        return f"fill:{self.exchange}:{self.account}:{self.trade_id}"

    @property
    def base(self) -> str:
        """Return the asset bought or sold."""
        return base_asset(self.symbol)

    @property
    def quote(self) -> str:
        """Return the asset paid or received (and the fee's currency)."""
        return quote_asset(self.symbol)

    @property
    def signed_quantity(self) -> Decimal:
        """Return the base quantity the account gains: positive for a buy, negative for a sell."""
        return self.quantity if self.side is Side.BUY else -self.quantity
