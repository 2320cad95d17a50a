"""Bybit (v5) market REST answers in their real shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crypto_trader.marketdata.adapters.exchanges.stand_in_responses.shared import (
    Route,
    StandInState,
)


def _bybit(result: Any, server: StandInState) -> Any:
    return {
        "retCode": 0,
        "retMsg": "OK",
        "result": result,
        "retExtInfo": {},
        "time": server.server_now_ms(),
    }


def _bybit_instruments(server: StandInState, query: Mapping[str, str]) -> Any:
    instrument = {
        "symbol": "BTCUSDT",
        "baseCoin": "BTC",
        "quoteCoin": "USDT",
        "innovation": "0",
        "status": "Trading",
        "marginTrading": "both",
        "stTag": "0",
        "lotSizeFilter": {
            "basePrecision": "0.000001",
            "quotePrecision": "0.00000001",
            "minOrderQty": "0.000048",
            "maxOrderQty": "71.73956243",
            "minOrderAmt": "1",
            "maxOrderAmt": "2000000",
        },
        "priceFilter": {"tickSize": "0.01"},
        "riskParameters": {"limitParameter": "0.03", "marketParameter": "0.03"},
    }
    listed = [instrument] if query.get("category", "spot") == "spot" else []
    return _bybit(
        {"category": query.get("category", "spot"), "list": listed, "nextPageCursor": ""}, server
    )


def _bybit_time(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms()
    return _bybit({"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}, server)


def _bybit_kline(server: StandInState, _query: Mapping[str, str]) -> Any:
    # Bybit lists klines newest first, all fields strings.
    rows = [[str(t), o, h, low, c, v, "0"] for t, o, h, low, c, v in reversed(server.rows())]
    return _bybit({"symbol": "BTCUSDT", "category": "spot", "list": rows}, server)


def _bybit_tickers(server: StandInState, _query: Mapping[str, str]) -> Any:
    ticker = {
        "symbol": "BTCUSDT",
        "bid1Price": "30010.4",
        "bid1Size": "1.5",
        "ask1Price": "30010.6",
        "ask1Size": "0.75",
        "lastPrice": "30010.5",
        "prevPrice24h": "29900",
        "price24hPcnt": "0.0037",
        "highPrice24h": "30100",
        "lowPrice24h": "29800",
        "turnover24h": "17900000.5",
        "volume24h": "598.03698",
        "usdIndexPrice": "30011.2",
    }
    return _bybit({"category": "spot", "list": [ticker]}, server)


def _bybit_trades(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms()
    trades = [
        {"execId": "2100000000007764263", "symbol": "BTCUSDT", "price": "30010.5", "size": "0.012",
         "side": "Buy", "time": str(now - 2000), "isBlockTrade": False, "isRPITrade": False},
        {"execId": "2100000000007764264", "symbol": "BTCUSDT", "price": "30010.6", "size": "0.5",
         "side": "Sell", "time": str(now - 1000), "isBlockTrade": False, "isRPITrade": False},
    ]  # fmt: skip
    return _bybit({"category": "spot", "list": trades}, server)


def _bybit_book(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms()
    return _bybit(
        {
            "s": "BTCUSDT",
            "a": [["30010.6", "0.75"], ["30010.7", "3"]],
            "b": [["30010.4", "1.5"], ["30010.3", "2"]],
            "ts": now,
            "u": 230704,
            "seq": 1432604333,
            "cts": now - 100,
        },
        server,
    )


ROUTES: Mapping[str, Route] = {
    "/v5/market/instruments-info": _bybit_instruments,
    "/v5/market/time": _bybit_time,
    "/v5/market/kline": _bybit_kline,
    "/v5/market/tickers": _bybit_tickers,
    "/v5/market/recent-trade": _bybit_trades,
    "/v5/market/orderbook": _bybit_book,
}

# The market this stand-in lists, and its rules as it publishes them.
MARKET: dict[str, Any] = {
    "symbol": "BTC/USDT",
    "price": "0.01",
    "amount": "0.000001",
    "min_amount": "0.000048",
    "min_cost": "1",
}
