"""Coinbase Advanced Trade (v3) REST answers in their real shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crypto_trader.marketdata.adapters.exchanges.stand_in_responses.shared import (
    Route,
    StandInState,
)


def _coinbase_products(_server: StandInState, query: Mapping[str, str]) -> Any:
    if query.get("product_type") == "FUTURE":
        return {"products": [], "num_products": 0}
    return {
        "products": [
            {
                "product_id": "BTC-USD",
                "price": "30010.5",
                "price_percentage_change_24h": "0.5",
                "volume_24h": "10967.87426597",
                "volume_percentage_change_24h": "12.5",
                "base_increment": "0.00000001",
                "quote_increment": "0.01",
                "quote_min_size": "1",
                "quote_max_size": "150000000",
                "base_min_size": "0.00000001",
                "base_max_size": "3400",
                "base_name": "Bitcoin",
                "quote_name": "US Dollar",
                "watched": False,
                "is_disabled": False,
                "new": False,
                "status": "online",
                "cancel_only": False,
                "limit_only": False,
                "post_only": False,
                "trading_disabled": False,
                "auction_mode": False,
                "product_type": "SPOT",
                "quote_currency_id": "USD",
                "base_currency_id": "BTC",
                "fcm_trading_session_details": None,
                "mid_market_price": "",
                "alias": "",
                "alias_to": [],
                "base_display_symbol": "BTC",
                "quote_display_symbol": "USD",
                "view_only": False,
                "price_increment": "0.01",
                "display_name": "BTC-USD",
                "product_venue": "CBE",
                "approximate_quote_24h_volume": "735000000",
            }
        ],
        "num_products": 1,
    }


def _coinbase_time(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms()
    return {
        "iso": "2023-11-14T22:14:00Z",
        "epochSeconds": str(now // 1000),
        "epochMillis": str(now),
    }


def _coinbase_candles(server: StandInState, _query: Mapping[str, str]) -> Any:
    # Coinbase lists candles newest first, times in seconds.
    return {
        "candles": [
            {"start": str(t // 1000), "low": low, "high": h, "open": o, "close": c, "volume": v}
            for t, o, h, low, c, v in reversed(server.rows())
        ]
    }


def _coinbase_market_trades(_server: StandInState, _query: Mapping[str, str]) -> Any:
    return {
        "trades": [
            {"trade_id": "34208", "product_id": "BTC-USD", "price": "30010.5", "size": "0.012",
             "time": "2023-11-14T22:13:59.000Z", "side": "BUY", "bid": "", "ask": ""},
            {"trade_id": "34207", "product_id": "BTC-USD", "price": "30010.6", "size": "0.5",
             "time": "2023-11-14T22:13:58.000Z", "side": "SELL", "bid": "", "ask": ""},
        ],
        "best_bid": "30010.4",
        "best_ask": "30010.6",
    }  # fmt: skip


def _coinbase_book(_server: StandInState, _query: Mapping[str, str]) -> Any:
    return {
        "pricebook": {
            "product_id": "BTC-USD",
            "bids": [{"price": "30010.4", "size": "1.5"}, {"price": "30010.3", "size": "2"}],
            "asks": [{"price": "30010.6", "size": "0.75"}, {"price": "30010.7", "size": "3"}],
            "time": "2023-11-14T22:14:00.000Z",
        }
    }


ROUTES: Mapping[str, Route] = {
    "/api/v3/brokerage/market/products": _coinbase_products,
    "/api/v3/brokerage/time": _coinbase_time,
    "/api/v3/brokerage/market/product_book": _coinbase_book,
}

# Routes whose path carries the product id between a fixed prefix and suffix.
PATH_ROUTES: Mapping[tuple[str, str], Route] = {
    ("/api/v3/brokerage/market/products/", "/candles"): _coinbase_candles,
    ("/api/v3/brokerage/market/products/", "/ticker"): _coinbase_market_trades,
}

# The market this stand-in lists, and its rules as it publishes them.
MARKET: dict[str, Any] = {
    "symbol": "BTC/USD",
    "price": "0.01",
    "amount": "0.00000001",
    "min_amount": "0.00000001",
    "min_cost": "1",
}
