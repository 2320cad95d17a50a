"""OKX (v5) public and market REST answers in their real shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crypto_trader.common.model import Timeframe
from crypto_trader.marketdata.adapters.exchanges.stand_in_responses.shared import (
    Route,
    StandInState,
)


def _okx(data: Any) -> Any:
    return {"code": "0", "msg": "", "data": data}


def _okx_instruments(_server: StandInState, query: Mapping[str, str]) -> Any:
    if query.get("instType") != "SPOT":
        return _okx([])
    return _okx(
        [
            {
                "alias": "",
                "auctionEndTime": "",
                "baseCcy": "BTC",
                "category": "1",
                "ctMult": "",
                "ctType": "",
                "ctVal": "",
                "ctValCcy": "",
                "expTime": "",
                "instFamily": "",
                "instId": "BTC-USDT",
                "instType": "SPOT",
                "lever": "10",
                "listTime": "1606468572000",
                "lotSz": "0.00000001",
                "maxIcebergSz": "9999999999.0000000000000000",
                "maxLmtAmt": "1000000",
                "maxLmtSz": "9999999999",
                "maxMktAmt": "1000000",
                "maxMktSz": "",
                "maxStopSz": "",
                "maxTriggerSz": "9999999999.0000000000000000",
                "maxTwapSz": "9999999999.0000000000000000",
                "minSz": "0.00001",
                "optType": "",
                "quoteCcy": "USDT",
                "settleCcy": "",
                "state": "live",
                "stk": "",
                "tickSz": "0.1",
                "uly": "",
            }
        ]
    )


def _okx_time(server: StandInState, _query: Mapping[str, str]) -> Any:
    return _okx([{"ts": str(server.server_now_ms())}])


def _okx_candles(server: StandInState, _query: Mapping[str, str]) -> Any:
    # OKX lists candles newest first; the last field says whether the candle is confirmed.
    now = server.server_now_ms()
    step = Timeframe(server.timeframe).milliseconds
    return _okx(
        [
            [str(t), o, h, low, c, v, "0", "0", "1" if t + step <= now else "0"]
            for t, o, h, low, c, v in reversed(server.rows())
        ]
    )


def _okx_ticker(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = str(server.server_now_ms())
    return _okx(
        [
            {"instType": "SPOT", "instId": "BTC-USDT", "last": "30010.5", "lastSz": "0.0016",
             "askPx": "30010.6", "askSz": "0.75", "bidPx": "30010.4", "bidSz": "1.5",
             "open24h": "29900", "high24h": "30100", "low24h": "29800",
             "volCcy24h": "17900000.5", "vol24h": "598.03698", "ts": now,
             "sodUtc0": "29950", "sodUtc8": "29960"},
        ]
    )  # fmt: skip


def _okx_trades(server: StandInState, _query: Mapping[str, str]) -> Any:
    now = server.server_now_ms()
    return _okx(
        [
            {"instId": "BTC-USDT", "side": "sell", "sz": "0.5", "px": "30010.6",
             "tradeId": "242720721", "ts": str(now - 1000), "source": "0"},
            {"instId": "BTC-USDT", "side": "buy", "sz": "0.012", "px": "30010.5",
             "tradeId": "242720720", "ts": str(now - 2000), "source": "0"},
        ]
    )  # fmt: skip


def _okx_book(server: StandInState, _query: Mapping[str, str]) -> Any:
    return _okx(
        [
            {
                "asks": [["30010.6", "0.75", "0", "1"], ["30010.7", "3", "0", "2"]],
                "bids": [["30010.4", "1.5", "0", "2"], ["30010.3", "2", "0", "1"]],
                "ts": str(server.server_now_ms()),
            }
        ]
    )


ROUTES: Mapping[str, Route] = {
    "/api/v5/public/instruments": _okx_instruments,
    "/api/v5/public/time": _okx_time,
    "/api/v5/market/candles": _okx_candles,
    "/api/v5/market/history-candles": _okx_candles,
    "/api/v5/market/ticker": _okx_ticker,
    "/api/v5/market/trades": _okx_trades,
    "/api/v5/market/books": _okx_book,
}

# The market this stand-in lists, and its rules as it publishes them.
MARKET: dict[str, Any] = {
    "symbol": "BTC/USDT",
    "price": "0.1",
    "amount": "0.00000001",
    "min_amount": "0.00001",
    "min_cost": None,
}
