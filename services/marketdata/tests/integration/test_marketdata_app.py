"""The whole service (``app.run``): file and synthetic sources, gRPC, stop and resume."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import pytest

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.embedded import free_port, port_answers
from crypto_trader.common.settings import InfraSettings
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2 as pb
from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2_grpc as pb_grpc
from crypto_trader.marketdata import app
from crypto_trader.marketdata.settings import MarketdataSettings
from crypto_trader.marketdata.testing import BTC_5M, START_MS

pytestmark = pytest.mark.integration

STEP = BTC_5M.timeframe_ms


def settings_for(
    tmp_path: Path, nats_url: str, run_root: str, **fields: object
) -> MarketdataSettings:
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
        **fields,  # type: ignore[arg-type]
    )


@asynccontextmanager
async def running(settings: MarketdataSettings) -> AsyncIterator[pb_grpc.MarketDataServiceStub]:
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, stop))
    try:
        # Connect only once the port answers: a refused first attempt would put the channel into a
        # one-second reconnect backoff, longer than these replays take.
        for _ in range(500):
            if task.done() or port_answers(settings.grpc_port):
                break
            await asyncio.sleep(0.01)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.grpc_port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), timeout=10)
            yield pb_grpc.MarketDataServiceStub(channel)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def wait_for_status(
    stub: pb_grpc.MarketDataServiceStub,
    condition: Callable[[pb.GetReplayStatusResponse], bool],
    timeout: float = 10.0,
) -> pb.GetReplayStatusResponse:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await stub.GetReplayStatus(pb.GetReplayStatusRequest())
        if condition(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"replay status never matched: {status}")
        await asyncio.sleep(0.02)


async def stream_open_times(nats_url: str, root: str) -> list[int]:
    bus = await NatsBus.connect(nats_url, name="test-reader")
    try:
        js = bus.client.jetstream()
        spec = streams.candle_stream(root)
        info = await js.stream_info(spec.name)
        subscription = await js.pull_subscribe(subjects.all_candles(root), stream=spec.name)
        times: list[int] = []
        while len(times) < info.state.messages:
            for msg in await subscription.fetch(500, timeout=5):
                event = market_data_pb2.CandleClosed.FromString(msg.data)
                times.append(event.candle.open_time_ms)
                await msg.ack()
        await js.delete_stream(spec.name)
        return times
    finally:
        await bus.close()


def write_candle_file(path: Path, count: int) -> Path:
    rows = [
        [START_MS + i * STEP, f"{100 + i}", f"{102 + i}", f"{99 + i}", f"{101 + i}", "1.5"]
        for i in range(count)
    ]
    path.write_text(json.dumps(rows).replace('"', ""))
    return path


async def test_file_replay_stops_and_resumes_where_it_stopped(
    tmp_path: Path, nats_url: str, run_root: str
) -> None:
    replay_file = write_candle_file(tmp_path / "BTC_USDT-5m.json", 80)
    # One candle every 10 ms: slow enough to stop the first run part-way.
    settings = settings_for(
        tmp_path, nats_url, run_root, source="file", replay_file=replay_file, replay_speed=30_000
    )
    # A core subscriber sees every publish, even those the stream drops as duplicates, so it
    # shows whether the second run started over or resumed.
    watcher = await NatsBus.connect(nats_url, name="test-watcher")
    published: list[int] = []

    async def watch(message: market_data_pb2.CandleClosed, _subject: str) -> None:
        published.append(message.candle.open_time_ms)

    await watcher.subscribe(
        subjects.all_candles(run_root),
        watch,  # type: ignore[arg-type]
        [market_data_pb2.CandleClosed],
    )
    await watcher.client.flush()
    try:
        async with running(settings) as stub:
            first = await wait_for_status(stub, lambda s: s.published >= 20)
        async with running(settings) as stub:
            done = await wait_for_status(stub, lambda s: s.finished)
            candles = await stub.GetCandles(
                pb.GetCandlesRequest(exchange="binance", symbol="BTC/USDT", timeframe="5m", limit=5)
            )
            ticker = await stub.GetTicker(
                pb.GetTickerRequest(exchange="binance", symbol="BTC/USDT")
            )
        await watcher.client.flush()
    finally:
        await watcher.close()

    expected = [START_MS + i * STEP for i in range(80)]
    assert (first.source, first.total, first.synthetic) == ("file", 80, False)
    assert published == expected
    assert (done.published, done.total, done.last_open_time_ms) == (80, 80, expected[-1])
    assert [c.open for c in candles.candles] == ["100", "101", "102", "103", "104"]
    assert ticker.last == "180"
    assert await stream_open_times(nats_url, run_root) == expected


async def test_without_any_data_the_service_replays_labelled_synthetic_candles(
    tmp_path: Path, nats_url: str, run_root: str
) -> None:
    # An exchange ccxt does not know stands in for an unreachable one, deterministically.
    settings = settings_for(
        tmp_path,
        nats_url,
        run_root,
        exchange="nowhere",
        source="auto",
        synthetic_candles=30,
        replay_speed=1e9,
        ccxt_timeout_seconds=1,
    )

    async with running(settings) as stub:
        status = await wait_for_status(stub, lambda s: s.finished)
        symbols = await stub.ListSymbols(pb.ListSymbolsRequest(exchange="nowhere"))
        candles = await stub.GetCandles(
            pb.GetCandlesRequest(exchange="nowhere", symbol="BTC/USDT", timeframe="5m")
        )

    assert (status.source, status.synthetic, status.published) == ("synthetic", True, 30)
    assert [(s.symbol, s.candle_count, s.synthetic) for s in symbols.symbols] == [
        ("BTC/USDT", 30, True)
    ]
    assert len(candles.candles) == 30
    assert all(candle.synthetic for candle in candles.candles)
    assert len(await stream_open_times(nats_url, run_root)) == 30
