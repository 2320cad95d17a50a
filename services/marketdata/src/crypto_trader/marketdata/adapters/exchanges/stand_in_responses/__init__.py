"""Public REST answers of Binance, Coinbase, Kraken, Bybit and OKX, looked up by route."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crypto_trader.marketdata.adapters.exchanges.stand_in_responses import (
    binance,
    bybit,
    coinbase,
    kraken,
    okx,
)
from crypto_trader.marketdata.adapters.exchanges.stand_in_responses.shared import (
    SERIES_BASE_PRICE,
    SERIES_START_MS,
    Route,
    StandInState,
    series_row,
)

__all__ = [
    "PATH_ROUTES",
    "ROUTES",
    "SERIES_BASE_PRICE",
    "SERIES_START_MS",
    "STAND_IN_MARKETS",
    "Route",
    "StandInState",
    "series_row",
]

ROUTES: Mapping[str, Mapping[str, Route]] = {
    "binance": binance.ROUTES,
    "coinbase": coinbase.ROUTES,
    "kraken": kraken.ROUTES,
    "bybit": bybit.ROUTES,
    "okx": okx.ROUTES,
}

PATH_ROUTES: Mapping[str, Mapping[tuple[str, str], Route]] = {
    "coinbase": coinbase.PATH_ROUTES,
}

# The market each stand-in lists, and its rules as the stand-in publishes them.
STAND_IN_MARKETS: Mapping[str, dict[str, Any]] = {
    "binance": binance.MARKET,
    "coinbase": coinbase.MARKET,
    "kraken": kraken.MARKET,
    "bybit": bybit.MARKET,
    "okx": okx.MARKET,
}
