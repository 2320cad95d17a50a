"""Per-exchange ccxt options: the only place one supported exchange differs from another."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from crypto_trader.common.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class ExchangeProfile:
    """How to build one exchange's ccxt client: its id and the options it needs."""

    ccxt_id: str
    # ccxt `options` merged over the exchange's defaults; spot only, so loading the markets does
    # not spend the rate budget on derivatives listings.
    options: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""


def _frozen(options: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(options)


EXCHANGE_PROFILES: Mapping[str, ExchangeProfile] = MappingProxyType(
    {
        "binance": ExchangeProfile(
            "binance",
            # The full ticker stream carries bid and ask; ccxt's default mini ticker has neither.
            _frozen({"fetchMarkets": {"types": ["spot"]}, "watchTickers": {"name": "ticker"}}),
            "spot exchangeInfo only (no futures listings); full ticker stream",
        ),
        "coinbase": ExchangeProfile(
            "coinbase",
            _frozen({"fetchTime": "v3PublicGetBrokerageTime"}),
            "Advanced Trade (v3 brokerage) public market endpoints",
        ),
        "kraken": ExchangeProfile("kraken", _frozen({}), "spot AssetPairs"),
        "bybit": ExchangeProfile(
            "bybit",
            _frozen({"fetchMarkets": {"types": ["spot"]}}),
            "v5 spot instruments only",
        ),
        "okx": ExchangeProfile(
            "okx",
            _frozen({"fetchMarkets": {"types": ["spot"]}}),
            "v5 SPOT instruments only",
        ),
    }
)


def profile_for(exchange_id: str) -> ExchangeProfile:
    """Return the profile of a supported exchange; unknown ccxt ids get default options.

    Raises
    ------
    ConfigurationError
        When ccxt does not know the exchange id at all.
    """
    import ccxt.async_support as ccxt_async

    if exchange_id in EXCHANGE_PROFILES:
        return EXCHANGE_PROFILES[exchange_id]
    if exchange_id not in ccxt_async.exchanges:
        raise ConfigurationError(f"ccxt does not know the exchange {exchange_id!r}")
    return ExchangeProfile(exchange_id)
