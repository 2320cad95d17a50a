"""Kraken public (0/public) REST answers in their real shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crypto_trader.marketdata.adapters.exchanges.stand_in_responses.shared import (
    Route,
    StandInState,
)


def _kraken_pairs(_server: StandInState, _query: Mapping[str, str]) -> Any:
    return {
        "error": [],
        "result": {
            "XBTUSDT": {
                "altname": "XBTUSDT",
                "wsname": "XBT/USDT",
                "aclass_base": "currency",
                "base": "XXBT",
                "aclass_quote": "currency",
                "quote": "USDT",
                "lot": "unit",
                "cost_decimals": 5,
                "pair_decimals": 1,
                "lot_decimals": 8,
                "lot_multiplier": 1,
                "leverage_buy": [2, 3],
                "leverage_sell": [2, 3],
                "fees": [[0, 0.4], [10000, 0.35]],
                "fees_maker": [[0, 0.25], [10000, 0.2]],
                "fee_volume_currency": "ZUSD",
                "margin_call": 80,
                "margin_stop": 40,
                "ordermin": "0.0001",
                "costmin": "0.5",
                "tick_size": "0.1",
                "status": "online",
                "long_position_limit": 270,
                "short_position_limit": 180,
            }
        },
    }


def _kraken_time(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms()
    return {"error": [], "result": {"unixtime": now // 1000, "rfc1123": "Tue, 14 Nov 23 22:14:00"}}


def _kraken_ohlc(server: StandInState, _query: Mapping[str, str]) -> Any:
    rows = [[t // 1000, o, h, low, c, c, v, 12] for t, o, h, low, c, v in server.rows()]
    return {"error": [], "result": {"XBTUSDT": rows, "last": rows[-1][0] if rows else 0}}


def _kraken_ticker(_server: StandInState, _query: Mapping[str, str]) -> Any:
    return {
        "error": [],
        "result": {
            "XBTUSDT": {
                "a": ["30010.60000", "1", "1.000"],
                "b": ["30010.40000", "1", "1.000"],
                "c": ["30010.50000", "0.00160710"],
                "v": ["165.16072288", "598.03698452"],
                "p": ["30001.97204", "30005.57520"],
                "t": [6405, 21103],
                "l": ["29800.00000", "29700.00000"],
                "h": ["30100.00000", "30200.00000"],
                "o": "29900.00000",
            }
        },
    }


def _kraken_trades(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms() / 1000
    return {
        "error": [],
        "result": {
            "XBTUSDT": [
                ["30010.50000", "0.01200000", now - 2, "b", "m", "", 6324366],
                ["30010.60000", "0.50000000", now - 1, "s", "l", "", 6324367],
            ],
            "last": "1710327959173746878",
        },
    }


def _kraken_depth(server: StandInState, _query: Mapping[str, str]) -> Any:
    ts = server.server_now_ms() // 1000
    return {
        "error": [],
        "result": {
            "XBTUSDT": {
                "asks": [["30010.60000", "0.750", ts], ["30010.70000", "3.000", ts]],
                "bids": [["30010.40000", "1.500", ts], ["30010.30000", "2.000", ts]],
            }
        },
    }


ROUTES: Mapping[str, Route] = {
    "/0/public/AssetPairs": _kraken_pairs,
    "/0/public/Time": _kraken_time,
    "/0/public/OHLC": _kraken_ohlc,
    "/0/public/Ticker": _kraken_ticker,
    "/0/public/Trades": _kraken_trades,
    "/0/public/Depth": _kraken_depth,
}

# The market this stand-in lists, and its rules as it publishes them.
MARKET: dict[str, Any] = {
    "symbol": "BTC/USDT",
    "price": "0.1",
    "amount": "0.00000001",
    "min_amount": "0.0001",
    "min_cost": "0.5",
}
