"""gRPC StreamCandles on a real server: the market's closed candles as NATS delivers them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from crypto_trader.common import streams
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import FakeClock
from crypto_trader.common.rpc import serve_grpc
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2 as pb
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2_grpc as pb_grpc
from crypto_trader.marketdata.adapters.grpc_server import MarketDataServicer, NatsCandleSubscriber
from crypto_trader.marketdata.adapters.nats_publisher import NatsCandlePublisher
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import ReplayStatus
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.testing import BTC_5M, START_MS, make_candles

pytestmark = pytest.mark.integration

ETH_5M = MarketKey("binance", "ETH/USDT", "5m")


async def test_streams_the_markets_closed_candles_until_the_service_stops(
    tmp_path: Path, nats_url: str, run_root: str
) -> None:
    store = migrate_store(f"sqlite:///{tmp_path / 'md.db'}")
    bus = await NatsBus.connect(nats_url, name="test-stream-candles")
    await bus.ensure_stream(streams.candle_stream(run_root))
    stop = asyncio.Event()
    servicer = MarketDataServicer(
        store,
        [ReplayStatus(key=BTC_5M), ReplayStatus(key=ETH_5M)],
        exchange="binance",
        candles=NatsCandleSubscriber(bus, root=run_root),
        stop=stop,
    )
    publisher = NatsCandlePublisher(bus, root=run_root, clock=FakeClock(START_MS))
    btc = make_candles(BTC_5M, count=40)
    eth = make_candles(ETH_5M, count=40)
    name = pb.DESCRIPTOR.services_by_name["MarketDataService"].full_name
    received: list[pb.StreamCandlesResponse] = []
    try:
        async with serve_grpc(
            "127.0.0.1",
            0,
            [lambda server: pb_grpc.add_MarketDataServiceServicer_to_server(servicer, server)],
            [name],
            grace_seconds=0.1,
        ) as server:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
                call = pb_grpc.MarketDataServiceStub(channel).StreamCandles(
                    pb.StreamCandlesRequest(exchange="binance", symbol="BTC/USDT", timeframe="5m")
                )

                async def read() -> None:
                    async for response in call:
                        received.append(response)

                reader = asyncio.create_task(read())
                # The subscription starts with the call: publish until the stream has caught up.
                for btc_candle, eth_candle in zip(btc, eth, strict=True):
                    await publisher.publish(eth_candle)
                    await publisher.publish(btc_candle)
                    if len(received) >= 3:
                        break
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.1)
                stop.set()
                await asyncio.wait_for(reader, timeout=5)
                code = await call.code()
    finally:
        await bus.close()
        store.dispose()

    times = [response.event.candle.open_time_ms for response in received]
    assert len(times) >= 3 and times == sorted(times) and len(set(times)) == len(times)
    assert {response.event.candle.symbol for response in received} == {"BTC/USDT"}
    assert all(response.event.event_id for response in received)
    assert code == grpc.StatusCode.OK
