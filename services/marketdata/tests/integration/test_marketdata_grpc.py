"""The gRPC MarketDataService on a real server: history, coverage, ticker, status and errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import grpc
import pytest

from crypto_trader.common.codec import candle_from_proto
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2 as pb
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2_grpc as pb_grpc
from crypto_trader.marketdata.adapters.grpc_server import MarketDataServicer
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import ReplayStatus
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.testing import BTC_5M, START_MS, make_candles

pytestmark = pytest.mark.integration

STEP = BTC_5M.timeframe_ms
BTC_1H = MarketKey("binance", "BTC/USDT", "1h")


@pytest.fixture
async def stub(tmp_path: Path) -> AsyncIterator[pb_grpc.MarketDataServiceStub]:
    store = migrate_store(f"sqlite:///{tmp_path / 'md.db'}")
    store.add_candles(make_candles(count=5_100))
    store.add_candles(make_candles(BTC_1H, count=3, synthetic=True))
    status = ReplayStatus(
        key=BTC_5M,
        source="file",
        published=10,
        total=5_100,
        last_open_time_ms=START_MS + 9 * STEP,
        horizon_ms=START_MS + 9 * STEP,
    )
    servicer = MarketDataServicer(store, status, exchange="binance")
    name = pb.DESCRIPTOR.services_by_name["MarketDataService"].full_name
    async with serve_grpc(
        "127.0.0.1",
        0,
        [lambda server: pb_grpc.add_MarketDataServiceServicer_to_server(servicer, server)],
        [name],
        grace_seconds=0.1,
    ) as server:
        await server.set_serving(True)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            yield pb_grpc.MarketDataServiceStub(channel)
    store.dispose()


def request(**overrides: object) -> pb.GetCandlesRequest:
    fields: dict[str, object] = {"exchange": "binance", "symbol": "BTC/USDT", "timeframe": "5m"}
    fields.update(overrides)
    return pb.GetCandlesRequest(**fields)  # type: ignore[arg-type]


class TestGetCandles:
    async def test_returns_the_asked_range_as_decimal_strings(
        self, stub: pb_grpc.MarketDataServiceStub
    ) -> None:
        response = await stub.GetCandles(
            request(start_ms=START_MS + STEP, end_ms=START_MS + 4 * STEP)
        )

        candles = [candle_from_proto(candle) for candle in response.candles]
        assert [c.open_time_ms for c in candles] == [START_MS + i * STEP for i in (1, 2, 3)]
        assert candles[0].close == Decimal(102)
        assert response.candles[0].close == "102"
        assert response.candles[0].close_time_ms == START_MS + 2 * STEP
        assert all(candle.closed for candle in response.candles)

    async def test_the_next_candle_after_a_time(self, stub: pb_grpc.MarketDataServiceStub) -> None:
        response = await stub.GetCandles(request(start_ms=START_MS + 1, limit=1))
        assert [c.open_time_ms for c in response.candles] == [START_MS + STEP]

    async def test_default_page_is_a_thousand_and_limits_are_capped_at_five_thousand(
        self, stub: pb_grpc.MarketDataServiceStub
    ) -> None:
        default = await stub.GetCandles(request())
        capped = await stub.GetCandles(request(limit=100_000))
        newest = await stub.GetCandles(request(limit=2, from_end=True))

        assert len(default.candles) == 10  # only what the replay has published so far
        assert len(capped.candles) == 10
        assert [c.open_time_ms for c in newest.candles] == [
            START_MS + 8 * STEP,
            START_MS + 9 * STEP,
        ]

    async def test_pages_of_markets_not_being_replayed_are_capped(
        self, stub: pb_grpc.MarketDataServiceStub, tmp_path: Path
    ) -> None:
        eth = MarketKey("binance", "ETH/USDT", "5m")
        store = migrate_store(f"sqlite:///{tmp_path / 'md.db'}")
        store.add_candles(make_candles(eth, count=5_100))
        store.dispose()

        default = await stub.GetCandles(request(symbol="ETH/USDT"))
        capped = await stub.GetCandles(request(symbol="ETH/USDT", limit=100_000))

        assert len(default.candles) == 1000
        assert len(capped.candles) == 5000

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"symbol": "DOGE/USDT"}, "unknown symbol 'DOGE/USDT'.*BTC/USDT"),
            ({"timeframe": "1m"}, "unknown timeframe '1m'.*5m, 1h"),
            ({"timeframe": "fortnight"}, "timeframe"),
            ({"symbol": "BTCUSDT"}, "BASE/QUOTE"),
            ({"exchange": "kraken"}, "unknown exchange 'kraken'; supported: binance"),
            ({"limit": -1}, "limit"),
        ],
    )
    async def test_bad_requests_are_invalid_argument_naming_what_is_supported(
        self, stub: pb_grpc.MarketDataServiceStub, overrides: dict[str, object], message: str
    ) -> None:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.GetCandles(request(**overrides))

        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert error.value.details() is not None
        assert re.search(message, error.value.details())


class TestOtherQueries:
    async def test_lists_exchanges_and_symbol_coverage(
        self, stub: pb_grpc.MarketDataServiceStub
    ) -> None:
        exchanges = await stub.ListExchanges(pb.ListExchangesRequest())
        symbols = await stub.ListSymbols(pb.ListSymbolsRequest(exchange="binance"))

        assert list(exchanges.exchanges) == ["binance"]
        assert [(s.symbol, s.timeframe, s.candle_count, s.synthetic) for s in symbols.symbols] == [
            ("BTC/USDT", "1h", 3, True),
            ("BTC/USDT", "5m", 5_100, False),
        ]
        assert symbols.symbols[1].first_open_time_ms == START_MS

    async def test_ticker_of_the_replayed_market_is_the_last_published_close(
        self, stub: pb_grpc.MarketDataServiceStub
    ) -> None:
        ticker = await stub.GetTicker(pb.GetTickerRequest(exchange="binance", symbol="BTC/USDT"))

        assert (ticker.last, ticker.ts_ms) == ("110", START_MS + 10 * STEP)

    async def test_ticker_of_an_unknown_market_is_invalid_argument(
        self, stub: pb_grpc.MarketDataServiceStub
    ) -> None:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            await stub.GetTicker(pb.GetTickerRequest(exchange="binance", symbol="ETH/USDT"))
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    async def test_replay_status(self, stub: pb_grpc.MarketDataServiceStub) -> None:
        status = await stub.GetReplayStatus(pb.GetReplayStatusRequest())

        assert (status.source, status.published, status.total, status.finished) == (
            "file",
            10,
            5_100,
            False,
        )

    async def test_stream_candles_rejects_an_unknown_market_naming_the_supported_ones(
        self, stub: pb_grpc.MarketDataServiceStub
    ) -> None:
        with pytest.raises(grpc.aio.AioRpcError) as error:
            async for _ in stub.StreamCandles(
                pb.StreamCandlesRequest(exchange="binance", symbol="ETH/USDT", timeframe="5m")
            ):
                pass
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "supported: binance BTC/USDT 1h; binance BTC/USDT 5m" in error.value.details()
