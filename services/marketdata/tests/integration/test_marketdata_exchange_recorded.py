"""Contract tests: ccxt's own recorded Kraken exchanges (and Binance trades) through the adapter.

Each recorded HTTP body is served from 127.0.0.1 at the path ccxt's request fixture recorded for
the same call, so ccxt's real request building and parsing run end to end, offline.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.marketdata.adapters.exchanges import CcxtExchange
from crypto_trader.marketdata.adapters.exchanges.testing import (
    ROUTES,
    StandInExchange,
)
from crypto_trader.marketdata.adapters.trade_store import SqlAlchemyTradeStore
from crypto_trader.marketdata.domain.trade import TradeTick
from crypto_trader.marketdata.importer import migrate_database

pytestmark = pytest.mark.integration

# Long after every recorded candle: they are all closed.
LATER_MS = 1_800_000_000_000


def _load(shared_data_dir: Path, kind: str) -> Any:
    return json.loads((shared_data_dir / "ccxt" / kind / "kraken.json").read_text())


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(repr(value) if isinstance(value, float) else value)


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _answer(body: Any) -> Any:
    return lambda _server, _query: body


@pytest.fixture
def recorded(shared_data_dir: Path) -> dict[str, Any]:
    return {kind: _load(shared_data_dir, kind) for kind in ("request", "response", "markets")}


@pytest.fixture
async def kraken(recorded: dict[str, Any]) -> AsyncIterator[tuple[CcxtExchange, StandInExchange]]:
    markets = recorded["markets"]
    response = recorded["response"]["methods"]
    overrides = {
        # The recorded markets still carry Kraken's raw AssetPairs entries: serve them as such.
        "/0/public/AssetPairs": _answer(
            {"error": [], "result": {m["id"]: m["info"] for m in markets.values()}}
        ),
        "/0/public/OHLC": _answer(response["fetchOHLCV"][0]["httpResponse"]),
        "/0/public/Trades": _answer(response["fetchTrades"][0]["httpResponse"]),
        "/0/public/Ticker": _answer(response["fetchTicker"][0]["httpResponse"]),
    }
    clock = FakeClock(LATER_MS)
    server = await StandInExchange("kraken", clock.now_ms, overrides=overrides).start()
    exchange = CcxtExchange("kraken", clock=clock, api_base_url=server.url, rate_limit_ms=1)
    yield exchange, server
    await exchange.close()
    await server.stop()


class TestKrakenRecorded:
    async def test_recorded_markets_parse_to_the_recorded_rules(
        self, recorded: dict[str, Any], kraken: tuple[CcxtExchange, StandInExchange]
    ) -> None:
        exchange, _ = kraken

        rules = await exchange.load_markets()

        assert set(rules) == set(recorded["markets"])
        for symbol, market in recorded["markets"].items():
            parsed = rules[symbol]
            assert parsed.market_id == market["id"]
            assert parsed.price_increment == _decimal(market["precision"]["price"])
            assert parsed.amount_increment == _decimal(market["precision"]["amount"])
            assert parsed.min_amount == _decimal(market["limits"]["amount"].get("min"))
            # Newer ccxt also reads Kraken's minimum order cost ("costmin") into the limits.
            assert parsed.min_cost == Decimal(market["info"]["costmin"])

    async def test_recorded_ohlcv_parses_to_the_recorded_candles_and_request(
        self, recorded: dict[str, Any], kraken: tuple[CcxtExchange, StandInExchange]
    ) -> None:
        exchange, server = kraken
        case = recorded["response"]["methods"]["fetchOHLCV"][0]
        symbol, timeframe, since, limit = case["input"]

        batch = await exchange.fetch_candles(symbol, timeframe, since_ms=since, limit=limit)

        got = [[c.open_time_ms, c.open, c.high, c.low, c.close, c.volume] for c in batch.closed]
        want = [[row[0], *(_decimal(value) for value in row[1:])] for row in case["parsedResponse"]]
        assert got == want
        assert batch.forming is None
        ohlc_requests = [path for path in server.requests if path.startswith("/0/public/OHLC")]
        assert ohlc_requests[0].startswith("/0/public/OHLC?pair=XBTUSDT&interval=60&since=")

    async def test_ccxt_sends_the_recorded_requests(
        self, recorded: dict[str, Any], kraken: tuple[CcxtExchange, StandInExchange]
    ) -> None:
        exchange, server = kraken
        calls = recorded["request"]["methods"]
        ohlcv = next(c for c in calls["fetchOHLCV"] if len(c["input"]) == 3)
        trades = next(c for c in calls["fetchTrades"] if len(c["input"]) == 2)

        await exchange.load_markets()
        await exchange.fetch_candles(
            ohlcv["input"][0], ohlcv["input"][1], since_ms=ohlcv["input"][2]
        )
        await exchange.fetch_trades(trades["input"][0], since_ms=trades["input"][1])
        await exchange.fetch_ticker(calls["fetchTicker"][0]["input"][0])
        await exchange.fetch_order_book(calls["fetchOrderBook"][0]["input"][0])

        for case in (trades, calls["fetchTicker"][0], calls["fetchOrderBook"][0]):
            assert _path_and_query(case["url"]) in server.requests
        # Kraken's `since` is exclusive; ccxt 4.5 asks one interval earlier than it recorded, so
        # the first candle at `since` is not lost.
        recorded_since = int(ohlcv["url"].rsplit("since=", 1)[1])
        assert any(
            _path_and_query(ohlcv["url"]).replace(str(recorded_since), str(since))
            in server.requests
            for since in (recorded_since, recorded_since - 3600)
        )
        assert _path_and_query(calls["fetchTime"][0]["url"]) in server.requests

    async def test_recorded_trades_parse_to_the_recorded_trades(
        self, recorded: dict[str, Any], kraken: tuple[CcxtExchange, StandInExchange]
    ) -> None:
        exchange, _ = kraken
        case = recorded["response"]["methods"]["fetchTrades"][0]
        symbol, since, limit = case["input"]

        trades = await exchange.fetch_trades(symbol, since_ms=since, limit=limit)

        assert [(t.trade_id, t.ts_event, t.side, t.price, t.amount) for t in trades] == [
            (w["id"], w["timestamp"], w["side"], _decimal(w["price"]), _decimal(w["amount"]))
            for w in case["parsedResponse"]
        ]

    async def test_recorded_ticker_parses_to_the_recorded_prices(
        self, recorded: dict[str, Any], kraken: tuple[CcxtExchange, StandInExchange]
    ) -> None:
        exchange, _ = kraken
        case = recorded["response"]["methods"]["fetchTicker"][0]
        want = case["parsedResponse"]

        ticker = await exchange.fetch_ticker(case["input"][0])

        assert ticker.symbol == want["symbol"]
        assert ticker.bid == _decimal(want["bid"])
        assert ticker.ask == _decimal(want["ask"])
        assert ticker.last == _decimal(want["last"])
        assert ticker.base_volume == _decimal(want["baseVolume"])


def _binance_markets_with(extra_symbol: Mapping[str, str]) -> Any:
    base_route = ROUTES["binance"]["/api/v3/exchangeInfo"]

    def route(server: StandInExchange, query: Mapping[str, str]) -> Any:
        body = base_route(server, query)
        template = dict(body["symbols"][0])
        template.update(extra_symbol)
        body["symbols"].append(template)
        return body

    return route


async def test_recorded_binance_agg_trades_parse_to_the_recorded_unified_trades(
    shared_data_dir: Path,
) -> None:
    path = shared_data_dir / "freqtrade" / "XRP_OLD-trades.json.gz"
    recorded = json.loads(gzip.decompress(path.read_bytes()))[:500]
    overrides = {
        "/api/v3/exchangeInfo": _binance_markets_with(
            {"symbol": "XRPETH", "baseAsset": "XRP", "quoteAsset": "ETH"}
        ),
        "/api/v3/aggTrades": _answer([trade["info"] for trade in recorded]),
    }
    clock = FakeClock(LATER_MS)
    server = await StandInExchange("binance", clock.now_ms, overrides=overrides).start()
    try:
        async with CcxtExchange(
            "binance", clock=clock, api_base_url=server.url, rate_limit_ms=1
        ) as exchange:
            trades = await exchange.fetch_trades("XRP/ETH", limit=500)
    finally:
        await server.stop()

    assert [(t.trade_id, t.ts_event, t.side, t.price, t.amount) for t in trades] == [
        (w["id"], w["timestamp"], w["side"], _decimal(w["price"]), _decimal(w["amount"]))
        for w in recorded
    ]
    # The raw aggTrade strings, not the float-parsed copies, are what the Decimals equal.
    assert [t.price for t in trades] == [Decimal(w["info"]["p"]) for w in recorded]


async def test_fetched_trades_are_the_stored_trade_type_and_unusable_ones_are_skipped(
    shared_data_dir: Path, tmp_path: Path
) -> None:
    path = shared_data_dir / "freqtrade" / "XRP_OLD-trades.json.gz"
    recorded = json.loads(gzip.decompress(path.read_bytes()))[:50]
    bodies = [dict(trade["info"]) for trade in recorded]
    bodies[3]["p"] = "0.00000000"  # a price no trade can have
    bodies[7]["q"] = "-1.00000000"
    overrides = {
        "/api/v3/exchangeInfo": _binance_markets_with(
            {"symbol": "XRPETH", "baseAsset": "XRP", "quoteAsset": "ETH"}
        ),
        "/api/v3/aggTrades": _answer(bodies),
    }
    clock = FakeClock(LATER_MS)
    server = await StandInExchange("binance", clock.now_ms, overrides=overrides).start()
    try:
        async with CcxtExchange(
            "binance", clock=clock, api_base_url=server.url, rate_limit_ms=1
        ) as exchange:
            trades = await exchange.fetch_trades("XRP/ETH", limit=50)
    finally:
        await server.stop()
    engine = migrate_database(f"sqlite:///{tmp_path / 'trades.db'}")
    try:
        store = SqlAlchemyTradeStore(engine)
        stored = store.add_trades(trades)
        read_back = store.read_trades("binance", "XRP/ETH")
    finally:
        engine.dispose()

    kept = [w for index, w in enumerate(recorded) if index not in (3, 7)]
    assert [t.trade_id for t in trades] == [w["id"] for w in kept]
    assert all(isinstance(t, TradeTick) for t in trades)
    # What the exchange adapter returns goes into the store as it is, and comes back equal.
    assert stored == 48
    assert read_back == sorted(trades, key=lambda trade: trade.order)
