"""Exchange data as exact-decimal value types: market rules, ticker, order book.

Public trades are the domain's ``TradeTick``: the adapters return the type the store keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class MarketRules:
    """One market's trading rules: increments and amount/cost limits (None when not published)."""

    exchange: str
    symbol: str
    market_id: str
    base: str
    quote: str
    active: bool
    price_increment: Decimal | None
    amount_increment: Decimal | None
    min_amount: Decimal | None
    max_amount: Decimal | None
    min_cost: Decimal | None
    max_cost: Decimal | None


@dataclass(frozen=True, slots=True)
class Ticker:
    """Best bid/ask and last price of a market at a time."""

    exchange: str
    symbol: str
    ts_event: int | None
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    base_volume: Decimal | None


@dataclass(frozen=True, slots=True)
class OrderBook:
    """Price levels (price, amount): bids best first, asks best first."""

    exchange: str
    symbol: str
    ts_event: int | None
    bids: tuple[tuple[Decimal, Decimal], ...]
    asks: tuple[tuple[Decimal, Decimal], ...]
