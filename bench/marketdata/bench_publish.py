"""Benchmark candle publishing: the platform's NatsBus against raw nats-py, JetStream and core.

Run: ``.venv/bin/python bench/marketdata/bench_publish.py [--candles 5000] [--repeats 3]``.
Uses the NATS server the tests use (CT_TEST_NATS_URL, default nats://127.0.0.1:4222) or starts an
embedded one. Each measurement publishes the same CandleClosed payloads, one at a time and awaiting
each JetStream ack (as the replay does), on a fresh candle stream.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from crypto_trader.common import streams, subjects, testing
from crypto_trader.common.bus import MSG_ID_HEADER, TYPE_HEADER, NatsBus, type_name
from crypto_trader.common.model import Candle
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.marketdata.adapters.nats_publisher import candle_closed

START_MS = 1_577_836_800_000  # 2020-01-01 00:00 UTC
STEP_MS = 60_000
GOAL = 0.70
CORE_FACTOR = 10

Events = list[market_data_pb2.CandleClosed]


def make_events(count: int) -> Events:
    """Build the CandleClosed events of consecutive 1m BTC/USDT candles."""
    events = []
    price = Decimal("29000.00")
    for index in range(count):
        close = price + Decimal((index * 7919) % 201 - 100) / 100
        candle = Candle(
            "binance", "BTC/USDT", "1m", START_MS + index * STEP_MS, price,
            max(price, close) + Decimal("1.25"), min(price, close) - Decimal("0.75"), close,
            Decimal(index % 997) / Decimal(1000) + Decimal("0.00012345"),
        )  # fmt: skip
        events.append(candle_closed(candle, now_ms=START_MS))
        price = close
    return events


async def _fresh_stream(bus: NatsBus, root: str) -> str:
    await bus.ensure_stream(streams.candle_stream(root))
    return subjects.candles(root, "binance", "BTC/USDT", "1m")


async def platform_durable(bus: NatsBus, root: str, events: Events) -> None:
    subject = await _fresh_stream(bus, root)
    for event in events:
        await bus.publish_durable(subject, event, msg_id=event.event_id)


async def raw_durable(bus: NatsBus, root: str, events: Events) -> None:
    subject = await _fresh_stream(bus, root)
    js = bus.client.jetstream()
    name = type_name(events[0])
    for event in events:
        headers = {TYPE_HEADER: name, MSG_ID_HEADER: event.event_id}
        await js.publish(subject, event.SerializeToString(), headers=headers, timeout=5.0)


async def platform_core(bus: NatsBus, root: str, events: Events) -> None:
    # A subject outside every stream: core NATS only, as forming candles and heartbeats go.
    subject = subjects.heartbeat(root, "bench", "core")
    for event in events:
        await bus.publish(subject, event)
    await bus.client.flush()


async def raw_core(bus: NatsBus, root: str, events: Events) -> None:
    subject = subjects.heartbeat(root, "bench", "core")
    name = type_name(events[0])
    client = bus.client
    for event in events:
        await client.publish(subject, event.SerializeToString(), headers={TYPE_HEADER: name})
    await client.flush()


async def _timed(
    bus: NatsBus,
    run: Callable[[NatsBus, str, Events], Awaitable[None]],
    events: Events,
) -> float:
    root = testing.run_id()
    started = time.perf_counter()
    await run(bus, root, events)
    elapsed = time.perf_counter() - started
    js = bus.client.jetstream()
    try:
        await js.delete_stream(streams.candle_stream(root).name)
    except Exception:  # noqa: BLE001, S110 - the core runs create no stream
        pass
    return len(events) / elapsed


async def measure(url: str, candles: int, repeats: int) -> dict[str, float]:
    """Return the median candles/s of each way of publishing, alternating them each repeat."""
    events = make_events(candles)
    # Core publishing is some 40 times faster: more messages keep its timing above the noise.
    core_events = events * CORE_FACTOR
    ways = {
        "platform durable": (platform_durable, events),
        "raw nats-py durable": (raw_durable, events),
        "platform core": (platform_core, core_events),
        "raw nats-py core": (raw_core, core_events),
    }
    rates: dict[str, list[float]] = {name: [] for name in ways}
    bus = await NatsBus.connect(url, name="bench-publish")
    try:
        await _timed(bus, platform_durable, events[: min(200, candles)])  # warm-up
        for _ in range(repeats):
            for name, (run, payloads) in ways.items():
                rates[name].append(await _timed(bus, run, payloads))
    finally:
        await bus.close()
    return {name: statistics.median(values) for name, values in rates.items()}


def report(rates: dict[str, float], candles: int, console: Console) -> bool:
    """Print the table; return whether the platform reached the goal on both transports."""
    table = Table(
        title=f"Publishing {candles:,} candles ({candles * CORE_FACTOR:,} on core), median/s"
    )
    table.add_column("transport")
    table.add_column("platform", justify="right")
    table.add_column("raw nats-py", justify="right")
    table.add_column("platform of raw", justify="right")
    met = True
    for transport in ("durable", "core"):
        ours, raw = rates[f"platform {transport}"], rates[f"raw nats-py {transport}"]
        ratio = ours / raw
        met = met and ratio >= GOAL
        table.add_row(transport, f"{ours:,.0f}", f"{raw:,.0f}", f"{ratio:.0%} of raw")
    console.print(table)
    console.print(f"goal: platform >= {GOAL:.0%} of raw nats-py: {'met' if met else 'NOT met'}")
    return met


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--candles", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    # The bus warns when its connection closes, which the end of each run does on purpose.
    logging.getLogger("crypto_trader.common.bus").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, testing.nats_server(Path(tmp)) as url:
        rates = asyncio.run(measure(url, args.candles, args.repeats))
    report(rates, args.candles, Console(soft_wrap=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
