"""Trading costs of a backtest: maker/taker fee schedules per exchange and slippage models."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Protocol

from crypto_trader.common.errors import InvalidInput

BUY = 1
SELL = -1


@dataclass(frozen=True, slots=True)
class FeeModel:
    """Maker and taker fee rates (fractions of the notional)."""

    maker: float
    taker: float

    def __post_init__(self) -> None:
        for name, rate in (("maker", self.maker), ("taker", self.taker)):
            if not (math.isfinite(rate) and 0 <= rate < 1):
                raise InvalidInput(f"{name} fee must be in [0, 1), got {rate}")

    def rate(self, *, maker: bool) -> float:
        """Return the rate a fill pays: maker for resting limit fills, taker otherwise."""
        return self.maker if maker else self.taker

    @classmethod
    def flat(cls, rate: float) -> FeeModel:
        """Return a schedule that charges ``rate`` to makers and takers alike."""
        return cls(rate, rate)

    @classmethod
    def for_exchange(cls, exchange: str, market: Mapping[str, object] | None = None) -> FeeModel:
        """Return the exchange's base-tier spot fees, overridden by a ccxt market's maker/taker.

        Raises
        ------
        InvalidInput
            When the exchange is unknown and the market gives no fees.
        """
        default = EXCHANGE_FEES.get(exchange)
        market = market or {}
        maker, taker = market.get("maker"), market.get("taker")
        if default is None and (maker is None or taker is None):
            known = ", ".join(sorted(EXCHANGE_FEES))
            raise InvalidInput(f"no fee schedule for exchange {exchange!r}; known: {known}")
        return cls(
            float(maker) if maker is not None else default.maker,  # type: ignore[arg-type,union-attr]
            float(taker) if taker is not None else default.taker,  # type: ignore[arg-type,union-attr]
        )


# Base-tier spot fees as published by each exchange (no volume tier, no token discount).
EXCHANGE_FEES: Mapping[str, FeeModel] = MappingProxyType(
    {
        "binance": FeeModel(0.001, 0.001),
        "coinbase": FeeModel(0.004, 0.006),
        "kraken": FeeModel(0.0025, 0.004),
        "bybit": FeeModel(0.001, 0.001),
        "okx": FeeModel(0.0008, 0.001),
    }
)


@dataclass(frozen=True, slots=True)
class OrderContext:
    """The order's size and the prices and volume of the candle it fills in."""

    quantity: float
    high: float
    low: float
    volume: float


class SlippageModel(Protocol):
    """Moves a taker's fill price against it."""

    def fill_price(self, side: int, price: float, order: OrderContext) -> float:
        """Return the price a taker order of ``quantity`` fills at, given the bar's prices."""
        ...


def _against(side: int, price: float, fraction: float) -> float:
    return price * (1.0 + fraction) if side > 0 else price * (1.0 - fraction)


@dataclass(frozen=True, slots=True)
class FixedSlippage:
    """A fixed number of basis points against the taker."""

    bps: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.bps < 10_000:
            raise InvalidInput(f"slippage must be in [0, 10000) bps, got {self.bps}")

    def fill_price(self, side: int, price: float, order: OrderContext) -> float:
        """Return ``price`` moved ``bps`` against the taker."""
        del order  # the same for every order
        return _against(side, price, self.bps / 10_000.0)


@dataclass(frozen=True, slots=True)
class SpreadSlippage:
    """Half the bid-ask spread against the taker: a given spread, or one estimated from the bar.

    The estimate is ``range_share`` of the bar's high-low range relative to its mid price, a crude
    stand-in when no order book is recorded.
    """

    spread_bps: float | None = None
    range_share: float = 0.1

    def __post_init__(self) -> None:
        if self.spread_bps is not None and not 0 <= self.spread_bps < 20_000:
            raise InvalidInput(f"spread must be in [0, 20000) bps, got {self.spread_bps}")
        if not 0 <= self.range_share <= 1:
            raise InvalidInput(f"range share must be in [0, 1], got {self.range_share}")

    def fill_price(self, side: int, price: float, order: OrderContext) -> float:
        """Return ``price`` moved half a spread against the taker."""
        if self.spread_bps is not None:
            spread = self.spread_bps / 10_000.0
        else:
            mid = (order.high + order.low) / 2.0
            spread = self.range_share * (order.high - order.low) / mid if mid > 0 else 0.0
        return _against(side, price, spread / 2.0)


@dataclass(frozen=True, slots=True)
class VolumeShareSlippage:
    """Price impact growing with the square of the order's share of bar volume, capped.

    ``impact = price_impact * min(quantity / volume, volume_limit) ** 2`` (zipline's model); a bar
    without volume counts as a full ``volume_limit`` share.
    """

    price_impact: float = 0.1
    volume_limit: float = 0.025

    def __post_init__(self) -> None:
        if not 0 <= self.price_impact < 1:
            raise InvalidInput(f"price impact must be in [0, 1), got {self.price_impact}")
        if not 0 < self.volume_limit <= 1:
            raise InvalidInput(f"volume limit must be in (0, 1], got {self.volume_limit}")

    def fill_price(self, side: int, price: float, order: OrderContext) -> float:
        """Return ``price`` moved by the impact of ``quantity`` against the taker."""
        volume = order.volume
        share = (
            self.volume_limit if volume <= 0 else min(order.quantity / volume, self.volume_limit)
        )
        return _against(side, price, self.price_impact * share * share)


SLIPPAGE_MODELS = ("fixed", "spread", "volume")


def slippage_model(
    name: str, *, bps: float = 0.0, spread_bps: float | None = None
) -> SlippageModel:
    """Build a slippage model by name: ``fixed`` (bps), ``spread`` or ``volume``.

    Raises
    ------
    InvalidInput
        When the name is unknown.
    """
    if name == "fixed":
        return FixedSlippage(bps)
    if name == "spread":
        return SpreadSlippage(spread_bps)
    if name == "volume":
        return VolumeShareSlippage()
    raise InvalidInput(f"slippage model must be one of {', '.join(SLIPPAGE_MODELS)}, got {name}")
