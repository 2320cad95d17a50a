"""Public websocket messages of Binance, Bybit and OKX in their real shapes, for the stand-in."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from crypto_trader.common.model import Side, Timeframe
from crypto_trader.marketdata.adapters.exchanges.stand_in_books import (
    BYBIT_BOOK_TOPIC,
    BookUpdate,
    StandInBook,
    binance_depth_update,
    bybit_book_delta,
    bybit_book_snapshot,
    okx_book_snapshot,
    okx_book_update,
)

Row = tuple[int, str, str, str, str, str]


@dataclass(frozen=True, slots=True)
class StreamTrade:
    """One public trade for the stand-in to push (decimal strings, as exchanges send them)."""

    trade_id: str
    ts_ms: int
    side: Side
    price: str
    amount: str


@dataclass(frozen=True, slots=True)
class StreamDialect:
    """How one exchange's public websocket talks: control answers, topics and data messages.

    ``answer`` takes a client's text frame and the connection's topic set (which it updates on a
    subscribe) and returns the frames to send back. The other functions build one data frame.
    ``book_snapshot`` is the depth snapshot the exchange pushes right after a book subscription;
    None where clients fetch it over REST (Binance), which serves the same ``StandInBook``.
    """

    answer: Callable[[str, set[str]], list[Any]]
    kline_topic: Callable[[str], str]
    kline: Callable[[Row, str, bool, int], Any]
    trade_topic: str
    trade: Callable[[StreamTrade, int], Any]
    ticker_topic: str
    ticker: Callable[[Row, int], Any]
    book_topic: str
    book_update: Callable[[BookUpdate, StandInBook, int], Any]
    book_snapshot: Callable[[StandInBook, int], Any] | None = None


# ----------------------------------------------------------------------------- binance (spot /ws)


def _binance_answer(text: str, topics: set[str]) -> list[Any]:
    request = json.loads(text)
    if request.get("method") == "SUBSCRIBE":
        topics.update(request["params"])
    elif request.get("method") == "UNSUBSCRIBE":
        topics.difference_update(request["params"])
    return [{"result": None, "id": request.get("id")}]


def _binance_kline(row: Row, timeframe: str, final: bool, now_ms: int) -> Any:
    open_time, o, h, low, c, v = row
    return {
        "e": "kline",
        "E": now_ms,
        "s": "BTCUSDT",
        "k": {
            "t": open_time,
            "T": open_time + Timeframe(timeframe).milliseconds - 1,
            "s": "BTCUSDT",
            "i": timeframe,
            "f": 100,
            "L": 200,
            "o": o,
            "c": c,
            "h": h,
            "l": low,
            "v": v,
            "n": 101,
            "x": final,
            "q": "0",
            "V": "0",
            "Q": "0",
            "B": "0",
        },
    }


def _binance_trade(trade: StreamTrade, now_ms: int) -> Any:
    return {
        "e": "trade",
        "E": now_ms,
        "s": "BTCUSDT",
        "t": int(trade.trade_id),
        "p": trade.price,
        "q": trade.amount,
        "T": trade.ts_ms,
        # The buyer made the book: the taker sold.
        "m": trade.side is Side.SELL,
        "M": True,
    }


def _binance_ticker(row: Row, now_ms: int) -> Any:
    _, o, h, low, c, v = row
    return {
        "e": "24hrTicker",
        "E": now_ms,
        "s": "BTCUSDT",
        "p": "0.5",
        "P": "0.002",
        "w": c,
        "x": o,
        "c": c,
        "Q": "0.01",
        "b": o,
        "B": "1.5",
        "a": h,
        "A": "2.5",
        "o": o,
        "h": h,
        "l": low,
        "v": v,
        "q": "1000.5",
        "O": now_ms - 86_400_000,
        "C": now_ms,
        "F": 1,
        "L": 101,
        "n": 101,
    }


# ----------------------------------------------------------------------------- bybit (v5 spot)

_BYBIT_INTERVALS = {"1m": "1", "3m": "3", "5m": "5", "15m": "15", "1h": "60", "1d": "D"}


def _bybit_answer(text: str, topics: set[str]) -> list[Any]:
    request = json.loads(text)
    op = request.get("op")
    if op == "subscribe":
        topics.update(request["args"])
    elif op == "unsubscribe":
        topics.difference_update(request["args"])
    return [
        {
            "success": True,
            "ret_msg": "pong" if op == "ping" else "",
            "conn_id": "stand-in",
            "req_id": request.get("req_id"),
            "op": op,
        }
    ]


def _bybit_kline(row: Row, timeframe: str, final: bool, now_ms: int) -> Any:
    open_time, o, h, low, c, v = row
    return {
        "topic": _bybit_kline_topic(timeframe),
        "data": [
            {
                "start": open_time,
                "end": open_time + Timeframe(timeframe).milliseconds - 1,
                "interval": _BYBIT_INTERVALS[timeframe],
                "open": o,
                "close": c,
                "high": h,
                "low": low,
                "volume": v,
                "turnover": "0",
                "confirm": final,
                "timestamp": now_ms,
            }
        ],
        "ts": now_ms,
        "type": "snapshot",
    }


def _bybit_kline_topic(timeframe: str) -> str:
    return f"kline.{_BYBIT_INTERVALS[timeframe]}.BTCUSDT"


def _bybit_trade(trade: StreamTrade, now_ms: int) -> Any:
    return {
        "topic": "publicTrade.BTCUSDT",
        "type": "snapshot",
        "ts": now_ms,
        "data": [
            {
                "T": trade.ts_ms,
                "s": "BTCUSDT",
                "S": "Buy" if trade.side is Side.BUY else "Sell",
                "v": trade.amount,
                "p": trade.price,
                "L": "PlusTick",
                "i": trade.trade_id,
                "BT": False,
            }
        ],
    }


def _bybit_ticker(row: Row, now_ms: int) -> Any:
    _, o, h, low, c, v = row
    return {
        "topic": "tickers.BTCUSDT",
        "ts": now_ms,
        "type": "snapshot",
        "cs": 1,
        "data": {
            "symbol": "BTCUSDT",
            "lastPrice": c,
            "highPrice24h": h,
            "lowPrice24h": low,
            "prevPrice24h": o,
            "volume24h": v,
            "turnover24h": "1000.5",
            "price24hPcnt": "0.002",
            "usdIndexPrice": c,
        },
    }


# ----------------------------------------------------------------------------- okx (v5 public)


def _okx_answer(text: str, topics: set[str]) -> list[Any]:
    if text == "ping":
        return ["pong"]
    request = json.loads(text)
    answers = []
    for arg in request.get("args", []):
        topic = f"{arg['channel']}:{arg['instId']}"
        if request.get("op") == "subscribe":
            topics.add(topic)
        else:
            topics.discard(topic)
        answers.append({"event": request.get("op"), "arg": arg, "connId": "stand-in"})
    return answers


def _okx_kline(row: Row, timeframe: str, final: bool, _now_ms: int) -> Any:
    open_time, o, h, low, c, v = row
    return {
        "arg": {"channel": f"candle{timeframe}", "instId": "BTC-USDT"},
        "data": [[str(open_time), o, h, low, c, v, "0", "0", "1" if final else "0"]],
    }


def _okx_trade(trade: StreamTrade, _now_ms: int) -> Any:
    return {
        "arg": {"channel": "trades", "instId": "BTC-USDT"},
        "data": [
            {
                "instId": "BTC-USDT",
                "tradeId": trade.trade_id,
                "px": trade.price,
                "sz": trade.amount,
                "side": str(trade.side),
                "ts": str(trade.ts_ms),
                "count": "1",
            }
        ],
    }


def _okx_ticker(row: Row, now_ms: int) -> Any:
    _, o, h, low, c, v = row
    return {
        "arg": {"channel": "tickers", "instId": "BTC-USDT"},
        "data": [
            {
                "instType": "SPOT",
                "instId": "BTC-USDT",
                "last": c,
                "lastSz": "0.01",
                "askPx": h,
                "askSz": "2.5",
                "bidPx": o,
                "bidSz": "1.5",
                "open24h": o,
                "high24h": h,
                "low24h": low,
                "sodUtc0": o,
                "sodUtc8": o,
                "volCcy24h": "1000.5",
                "vol24h": v,
                "ts": str(now_ms),
            }
        ],
    }


STREAM_DIALECTS: Mapping[str, StreamDialect] = {
    "binance": StreamDialect(
        _binance_answer,
        lambda timeframe: f"btcusdt@kline_{timeframe}",
        _binance_kline,
        "btcusdt@trade",
        _binance_trade,
        "btcusdt@ticker",
        _binance_ticker,
        "btcusdt@depth@100ms",
        binance_depth_update,
    ),
    "bybit": StreamDialect(
        _bybit_answer,
        _bybit_kline_topic,
        _bybit_kline,
        "publicTrade.BTCUSDT",
        _bybit_trade,
        "tickers.BTCUSDT",
        _bybit_ticker,
        BYBIT_BOOK_TOPIC,
        bybit_book_delta,
        bybit_book_snapshot,
    ),
    "okx": StreamDialect(
        _okx_answer,
        lambda timeframe: f"candle{timeframe}:BTC-USDT",
        _okx_kline,
        "trades:BTC-USDT",
        _okx_trade,
        "tickers:BTC-USDT",
        _okx_ticker,
        "books:BTC-USDT",
        okx_book_update,
        okx_book_snapshot,
    ),
}
