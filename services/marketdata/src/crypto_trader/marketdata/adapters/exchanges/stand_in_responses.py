"""Public REST answers of Binance, Coinbase, Kraken, Bybit and OKX in their real shapes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

from crypto_trader.common.model import Timeframe
from crypto_trader.marketdata.adapters.exchanges.stand_in_books import StandInBook

# One candle series shared by every stand-in: two providers serving it agree on every candle.
SERIES_START_MS = 1_700_000_040_000 - 1_700_000_040_000 % 3_600_000  # a whole hour
SERIES_BASE_PRICE = Decimal("30000.1")


def series_row(open_time_ms: int, timeframe: str) -> tuple[int, str, str, str, str, str]:
    """Return the stand-in series' candle at an open time as decimal strings (o, h, l, c, v)."""
    index = (open_time_ms - SERIES_START_MS) // Timeframe(timeframe).milliseconds
    price = SERIES_BASE_PRICE + index
    return (
        open_time_ms,
        str(price),
        str(price + 2),
        str(price - 1),
        str(price + Decimal("0.5")),
        str(Decimal("1.25") + index),
    )


class StandInState(Protocol):
    """What an answer may read from the stand-in serving it."""

    timeframe: str
    book: StandInBook

    def server_now_ms(self) -> int:
        """Return the exchange's own clock."""
        ...

    def rows(self) -> list[tuple[int, str, str, str, str, str]]:
        """Return the series up to and including the forming candle, oldest first."""
        ...


Route = Callable[[StandInState, Mapping[str, str]], Any]


# ----------------------------------------------------------------------------- binance (spot v3)


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


# ----------------------------------------------------------------------------- coinbase (v3)


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


# ----------------------------------------------------------------------------- kraken (0/public)


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


# ----------------------------------------------------------------------------- bybit (v5)


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


# ----------------------------------------------------------------------------- okx (v5)


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


ROUTES: Mapping[str, Mapping[str, Route]] = {
    "binance": {
        "/api/v3/exchangeInfo": _binance_markets,
        "/api/v3/time": lambda server, _query: {"serverTime": server.server_now_ms()},
        "/api/v3/klines": _binance_klines,
        "/api/v3/ticker/24hr": _binance_ticker,
        "/api/v3/aggTrades": _binance_trades,
        "/api/v3/depth": _binance_depth,
    },
    "coinbase": {
        "/api/v3/brokerage/market/products": _coinbase_products,
        "/api/v3/brokerage/time": _coinbase_time,
        "/api/v3/brokerage/market/product_book": _coinbase_book,
    },
    "kraken": {
        "/0/public/AssetPairs": _kraken_pairs,
        "/0/public/Time": _kraken_time,
        "/0/public/OHLC": _kraken_ohlc,
        "/0/public/Ticker": _kraken_ticker,
        "/0/public/Trades": _kraken_trades,
        "/0/public/Depth": _kraken_depth,
    },
    "bybit": {
        "/v5/market/instruments-info": _bybit_instruments,
        "/v5/market/time": _bybit_time,
        "/v5/market/kline": _bybit_kline,
        "/v5/market/tickers": _bybit_tickers,
        "/v5/market/recent-trade": _bybit_trades,
        "/v5/market/orderbook": _bybit_book,
    },
    "okx": {
        "/api/v5/public/instruments": _okx_instruments,
        "/api/v5/public/time": _okx_time,
        "/api/v5/market/candles": _okx_candles,
        "/api/v5/market/history-candles": _okx_candles,
        "/api/v5/market/ticker": _okx_ticker,
        "/api/v5/market/trades": _okx_trades,
        "/api/v5/market/books": _okx_book,
    },
}

PATH_ROUTES: Mapping[str, Mapping[tuple[str, str], Route]] = {
    "coinbase": {
        ("/api/v3/brokerage/market/products/", "/candles"): _coinbase_candles,
        ("/api/v3/brokerage/market/products/", "/ticker"): _coinbase_market_trades,
    },
}

# The market each stand-in lists, and its rules as the stand-in publishes them.
STAND_IN_MARKETS: Mapping[str, dict[str, Any]] = {
    "binance": {"symbol": "BTC/USDT", "price": "0.01", "amount": "0.00001", "min_amount": "0.00001",
                "min_cost": "5"},
    "coinbase": {"symbol": "BTC/USD", "price": "0.01", "amount": "0.00000001",
                 "min_amount": "0.00000001", "min_cost": "1"},
    "kraken": {"symbol": "BTC/USDT", "price": "0.1", "amount": "0.00000001", "min_amount": "0.0001",
               "min_cost": "0.5"},
    "bybit": {"symbol": "BTC/USDT", "price": "0.01", "amount": "0.000001", "min_amount": "0.000048",
              "min_cost": "1"},
    "okx": {"symbol": "BTC/USDT", "price": "0.1", "amount": "0.00000001", "min_amount": "0.00001",
            "min_cost": None},
}  # fmt: skip
