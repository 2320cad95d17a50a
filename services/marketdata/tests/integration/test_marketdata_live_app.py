"""The whole service on the live source: two stand-in exchanges, failover, NATS and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import grpc
import nats
import pytest

from crypto_trader.common import subjects
from crypto_trader.common.clock import FakeClock
from crypto_trader.common.embedded import free_port, port_answers
from crypto_trader.common.price_cache import RedisPriceCache
from crypto_trader.common.settings import InfraSettings
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2 as pb
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2_grpc as pb_grpc
from crypto_trader.marketdata import app
from crypto_trader.marketdata.adapters.exchanges.testing import (
    SERIES_START_MS,
    StandInExchange,
    series_row,
)
from crypto_trader.marketdata.settings import MarketdataSettings

pytestmark = pytest.mark.integration

MINUTE = 60_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SERIES_START_MS + 5 * MINUTE + 10_000)


@pytest.fixture
async def stand_ins(clock: FakeClock) -> AsyncIterator[dict[str, StandInExchange]]:
    servers = {
        name: await StandInExchange(name, clock.now_ms).start() for name in ("binance", "okx")
    }
    yield servers
    for server in servers.values():
        await server.stop()


async def _wait_until(condition: object, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition never met")
        await asyncio.sleep(0.02)


def _settings(tmp_path: Path, nats_url: str, run_root: str, **fields: object) -> MarketdataSettings:
    return MarketdataSettings(
        infra=InfraSettings(
            nats_url=nats_url,
            database_url=f"sqlite:///{tmp_path / 'marketdata.db'}",
            subject_root=run_root,
            data_dir=tmp_path,
        ),
        grpc_port=free_port(),
        heartbeat_seconds=0.5,
        shutdown_grace_seconds=0.2,
        timeframe="1m",
        live_poll_seconds=0.05,
        **fields,  # type: ignore[arg-type]
    )


async def test_auto_goes_live_when_the_preferred_exchange_answers(
    tmp_path: Path, nats_url: str, run_root: str, clock: FakeClock,
    stand_ins: dict[str, StandInExchange],
) -> None:  # fmt: skip
    settings = _settings(
        tmp_path, nats_url, run_root, source="auto", exchange_api_base_url=stand_ins["binance"].url
    )
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, stop, clock=clock))
    try:
        await _wait_until(lambda: port_answers(settings.grpc_port))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.grpc_port}") as channel:
            stub = pb_grpc.MarketDataServiceStub(channel)
            for _ in range(500):
                status = await stub.GetReplayStatus(pb.GetReplayStatusRequest())
                if status.published >= 5:
                    break
                await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    assert (status.source, status.published, status.synthetic) == ("ccxt", 5, False)


async def test_live_source_publishes_each_closed_candle_once_in_order_across_a_failover(
    tmp_path: Path,
    nats_url: str,
    redis_url: str,
    run_root: str,
    clock: FakeClock,
    stand_ins: dict[str, StandInExchange],
) -> None:
    settings = MarketdataSettings(
        infra=InfraSettings(
            nats_url=nats_url,
            redis_url=redis_url,
            redis_prefix=f"{run_root}:",
            database_url=f"sqlite:///{tmp_path / 'marketdata.db'}",
            subject_root=run_root,
            data_dir=tmp_path,
        ),
        grpc_port=free_port(),
        heartbeat_seconds=0.5,
        shutdown_grace_seconds=0.2,
        timeframe="1m",
        source="ccxt",
        live_providers=["binance", "okx"],
        exchange_api_base_urls={name: server.url for name, server in stand_ins.items()},
        exchange_timeout_seconds=2,
        live_poll_seconds=0.05,
        failover_base_backoff_ms=10 * MINUTE,
        failover_max_backoff_ms=20 * MINUTE,
    )
    events: list[market_data_pb2.CandleClosed] = []
    client = await nats.connect(nats_url)

    async def collect(msg: nats.aio.msg.Msg) -> None:
        events.append(market_data_pb2.CandleClosed.FromString(msg.data))

    await client.subscribe(subjects.all_candles(run_root), cb=collect)
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, stop, clock=clock))

    def closed() -> list[int]:
        return [
            (e.candle.open_time_ms - SERIES_START_MS) // MINUTE for e in events if e.candle.closed
        ]

    try:
        await _wait_until(lambda: len(closed()) >= 5)
        # The preferred exchange goes down while two more candles close: the backup serves them.
        stand_ins["binance"].fail_status = 503
        clock.advance(2 * MINUTE)
        await _wait_until(lambda: len(closed()) >= 7)
        await _wait_until(lambda: port_answers(settings.grpc_port))
        async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.grpc_port}") as channel:
            status = await pb_grpc.MarketDataServiceStub(channel).GetReplayStatus(
                pb.GetReplayStatusRequest()
            )
        await asyncio.sleep(0.2)  # a repeat, if any, would show up now
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await client.close()

    assert closed() == list(range(7))
    for event in events:
        assert event.candle.exchange == "binance"
        assert event.candle.close == series_row(event.candle.open_time_ms, "1m")[4]
    forming = [e for e in events if not e.candle.closed]
    assert forming and all(
        e.event_id != closed_e.event_id
        for e in forming
        for closed_e in events
        if closed_e.candle.closed
    )
    assert any("/api/v5/market/" in path for path in stand_ins["okx"].requests)
    assert (status.source, status.published, status.last_open_time_ms) == (
        "ccxt",
        7,
        SERIES_START_MS + 6 * MINUTE,
    )
    cache = RedisPriceCache(redis_url, f"{run_root}:")
    try:
        last = await cache.get_last("binance", "BTC/USDT")
    finally:
        await cache.close()
    assert last is not None
    assert last.price == Decimal(series_row(SERIES_START_MS + 6 * MINUTE, "1m")[4])
    assert last.ts_ms == SERIES_START_MS + 7 * MINUTE
