"""Binance spot (v3) REST answers in their real shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crypto_trader.common.model import Timeframe
from crypto_trader.marketdata.adapters.exchanges.stand_in_responses.shared import (
    Route,
    StandInState,
)


def _binance_markets(server: StandInState, _query: Mapping[str, str]) -> Any:
    return {
        "timezone": "UTC",
        "serverTime": server.server_now_ms(),
        "rateLimits": [],
        "exchangeFilters": [],
        "symbols": [
            {
                "symbol": "BTCUSDT",
                "status": "TRADING",
                "baseAsset": "BTC",
                "baseAssetPrecision": 8,
                "quoteAsset": "USDT",
                "quotePrecision": 8,
                "quoteAssetPrecision": 8,
                "baseCommissionPrecision": 8,
                "quoteCommissionPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT"],
                "icebergAllowed": True,
                "ocoAllowed": True,
                "quoteOrderQtyMarketAllowed": True,
                "allowTrailingStop": True,
                "cancelReplaceAllowed": True,
                "isSpotTradingAllowed": True,
                "isMarginTradingAllowed": True,
                "filters": [
                    {
                        "filterType": "PRICE_FILTER",
                        "minPrice": "0.01000000",
                        "maxPrice": "1000000.00000000",
                        "tickSize": "0.01000000",
                    },
                    {
                        "filterType": "LOT_SIZE",
                        "minQty": "0.00001000",
                        "maxQty": "9000.00000000",
                        "stepSize": "0.00001000",
                    },
                    {
                        "filterType": "NOTIONAL",
                        "minNotional": "5.00000000",
                        "applyMinToMarket": True,
                        "maxNotional": "9000000.00000000",
                        "applyMaxToMarket": False,
                        "avgPriceMins": 5,
                    },
                ],
                "permissions": [],
                "permissionSets": [["SPOT", "MARGIN"]],
                "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
                "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
            }
        ],
    }


def _binance_klines(server: StandInState, _query: Mapping[str, str]) -> Any:
    step = Timeframe(server.timeframe).milliseconds
    return [
        [t, o, h, low, c, v, t + step - 1, "0", 10, "0", "0", "0"]
        for t, o, h, low, c, v in server.rows()
    ]


def _binance_ticker(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms()
    return {
        "symbol": "BTCUSDT",
        "priceChange": "-94.99999800",
        "priceChangePercent": "-95.960",
        "weightedAvgPrice": "0.29628482",
        "prevClosePrice": "0.10002000",
        "lastPrice": "30010.50000000",
        "lastQty": "200.00000000",
        "bidPrice": "30010.40000000",
        "bidQty": "100.00000000",
        "askPrice": "30010.60000000",
        "askQty": "100.00000000",
        "openPrice": "29900.00000000",
        "highPrice": "30100.00000000",
        "lowPrice": "29800.00000000",
        "volume": "8913.30000000",
        "quoteVolume": "15.30000000",
        "openTime": now - 86_400_000,
        "closeTime": now,
        "firstId": 28385,
        "lastId": 28460,
        "count": 76,
    }


def _binance_trades(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms()
    return [
        {"a": 26129, "p": "30010.50", "q": "0.01200", "f": 27781, "l": 27781, "T": now - 2000,
         "m": True, "M": True},
        {"a": 26130, "p": "30010.60", "q": "0.50000", "f": 27782, "l": 27783, "T": now - 1000,
         "m": False, "M": True},
    ]  # fmt: skip


def _binance_depth(server: StandInState, _query: Mapping[str, str]) -> Any:
    # The snapshot a websocket client merges the diff stream onto (see StandInBook).
    book = server.book
    return {
        "lastUpdateId": book.update_id,
        "bids": [list(level) for level in book.levels("bids")],
        "asks": [list(level) for level in book.levels("asks")],
    }


ROUTES: Mapping[str, Route] = {
    "/api/v3/exchangeInfo": _binance_markets,
    "/api/v3/time": lambda server, _query: {"serverTime": server.server_now_ms()},
    "/api/v3/klines": _binance_klines,
    "/api/v3/ticker/24hr": _binance_ticker,
    "/api/v3/aggTrades": _binance_trades,
    "/api/v3/depth": _binance_depth,
}

# The market this stand-in lists, and its rules as it publishes them.
MARKET: dict[str, Any] = {
    "symbol": "BTC/USDT",
    "price": "0.01",
    "amount": "0.00001",
    "min_amount": "0.00001",
    "min_cost": "5",
}
