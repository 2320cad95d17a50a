"""Benchmark the replay at speed ``max``: the real replay runner against raw nats-py publishing.

Run: ``.venv/bin/python bench/marketdata/bench_replay.py [--data DIR] [--candles N] [--repeats 3]``.
Replays the real Binance XRP/ETH 1m candles, alone and with the real trades they were built from
(freqtrade's test data, ``DIR`` = the folder holding ``XRP_ETH-1m.feather`` and
``XRP_ETH-trades.feather``), from a SQLite store, through ``replay_markets`` with its real
adapters: JetStream publish and ack per candle with flow control, core NATS per trade, the store
read a page ahead, the cursors saved in batches (every 100 candles or trades, or each second, and
at the end). Beside it, raw nats-py publishes the very same messages in the same order (the same
acks, no store, encoded before the clock starts), in the same run. A third runner row adds the
last-price cache in Redis (each candle's close, trades at most every 0.1 s).
Uses the NATS and Redis servers the tests use (CT_TEST_NATS_URL, CT_TEST_REDIS_URL) or starts
embedded ones.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis
from rich.console import Console
from rich.table import Table

from crypto_trader.common import streams, subjects, testing
from crypto_trader.common.bus import MSG_ID_HEADER, TYPE_HEADER, NatsBus, type_name
from crypto_trader.common.clock import LiveClock
from crypto_trader.common.model import Candle
from crypto_trader.common.price_cache import RedisPriceCache
from crypto_trader.marketdata.adapters.candle_files import read_candle_file
from crypto_trader.marketdata.adapters.candle_store import SqlAlchemyCandleStore
from crypto_trader.marketdata.adapters.consumer_lag import JetStreamConsumerLag
from crypto_trader.marketdata.adapters.nats_publisher import NatsCandlePublisher, candle_closed
from crypto_trader.marketdata.adapters.trade_files import read_trade_file
from crypto_trader.marketdata.adapters.trade_publisher import NatsTradePublisher, trade_ticked
from crypto_trader.marketdata.adapters.trade_store import SqlAlchemyTradeStore
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
    candle_replay_order,
    trade_replay_order,
)
from crypto_trader.marketdata.domain.trade import TradeTick
from crypto_trader.marketdata.importer import migrate_database
from crypto_trader.marketdata.replay_runner import FlowControl, TradeReplay, replay_markets

KEY = MarketKey("binance", "XRP/ETH", "1m")
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "freqtrade"
MAX_LAG = 1000  # the service's default CT_MARKETDATA_REPLAY_MAX_LAG
SCENARIOS = ("candles only", "candles + trades", "candles + trades + price cache")


@dataclass(frozen=True, slots=True)
class Market:
    """The replayed window: its candles, its trades, and the store file holding both."""

    candles: list[Candle]
    trades: list[TradeTick]
    database: Path

    @property
    def end_ms(self) -> int:
        return self.candles[-1].open_time_ms + 1


def load_market(data_dir: Path, candles: int | None, work: Path) -> Market:
    """Read the files, keep the first ``candles`` candles and their trades, store them once."""
    candle_file = read_candle_file(
        data_dir / "XRP_ETH-1m.feather", exchange=KEY.exchange, symbol=KEY.symbol, timeframe="1m"
    )
    trade_file = read_trade_file(
        data_dir / "XRP_ETH-trades.feather", exchange=KEY.exchange, symbol=KEY.symbol
    )
    kept = candle_file.candles[:candles] if candles else candle_file.candles
    last_close = kept[-1].close_time_ms
    # The replay publishes the trades up to the close of the window's last candle.
    trades = [trade for trade in trade_file.trades if trade.ts_event < last_close]
    database = work / "template.db"
    engine = migrate_database(f"sqlite:///{database}")
    try:
        SqlAlchemyCandleStore(engine).add_candles(kept)
        SqlAlchemyTradeStore(engine).add_trades(trades)
    finally:
        engine.dispose()
    return Market(kept, trades, database)


def _events(market: Market, *, with_trades: bool) -> int:
    return len(market.candles) + (len(market.trades) if with_trades else 0)


async def runner(
    bus: NatsBus, market: Market, work: Path, *, with_trades: bool, redis_url: str | None
) -> float:
    """Replay through ``replay_markets`` on a fresh copy of the store; return events/s."""
    root = testing.run_id()
    database = work / f"{root}.db"
    shutil.copyfile(market.database, database)  # fresh cursors: the whole window goes out
    engine = migrate_database(f"sqlite:///{database}")
    await bus.ensure_stream(streams.candle_stream(root))
    clock = LiveClock()
    store = SqlAlchemyCandleStore(engine)
    prices = None if redis_url is None else RedisPriceCache(redis_url, f"{root}:")
    trades = TradeReplay(
        SqlAlchemyTradeStore(engine), NatsTradePublisher(bus, root=root, clock=clock)
    )
    lag = JetStreamConsumerLag(bus, stream=streams.candle_stream(root).name)
    try:
        started = time.perf_counter()
        finished = await replay_markets(
            [ReplayPlan(SourceKind.STORE, ReplayWindow(KEY, 0, market.end_ms), synthetic=False)],
            speed=0,
            store=store,
            cursors=store,
            publisher=NatsCandlePublisher(bus, root=root, clock=clock),
            statuses={KEY: ReplayStatus()},
            stop=asyncio.Event(),
            prices=prices,
            trades=trades if with_trades else None,
            flow=FlowControl(lag, MAX_LAG),
        )
        await bus.client.flush()
        elapsed = time.perf_counter() - started
        assert finished, "the replay stopped early"
    finally:
        engine.dispose()
        database.unlink()
        await _clean(bus, root, prices)
    return _events(market, with_trades=with_trades) / elapsed


async def _clean(bus: NatsBus, root: str, prices: RedisPriceCache | None) -> None:
    await bus.client.jetstream().delete_stream(streams.candle_stream(root).name)
    if prices is not None:
        await prices.close()


Message = tuple[str, bytes, dict[str, str], bool]


def raw_messages(market: Market, root: str, *, with_trades: bool) -> list[Message]:
    """Encode what the replay publishes, in its order: (subject, payload, headers, durable)."""
    now_ms = LiveClock().now_ms()
    ordered: list[tuple[tuple[int, int, str, int, int, str], Message]] = []
    for candle in market.candles:
        event = candle_closed(candle, now_ms=now_ms)
        subject = subjects.candles(root, candle.exchange, candle.symbol, candle.timeframe)
        headers = {TYPE_HEADER: type_name(event), MSG_ID_HEADER: event.event_id}
        message = (subject, event.SerializeToString(), headers, True)
        ordered.append((candle_replay_order(candle), message))
    for trade in market.trades if with_trades else ():
        tick = trade_ticked(trade, now_ms=now_ms)
        subject = subjects.trades(root, trade.exchange, trade.symbol)
        message = (subject, tick.SerializeToString(), {TYPE_HEADER: type_name(tick)}, False)
        ordered.append((trade_replay_order(trade), message))
    ordered.sort(key=lambda item: item[0])
    return [message for _, message in ordered]


async def raw(bus: NatsBus, market: Market, *, with_trades: bool) -> float:
    """Publish the same messages with plain nats-py, awaiting each candle's ack; return events/s."""
    root = testing.run_id()
    messages = raw_messages(market, root, with_trades=with_trades)
    await bus.ensure_stream(streams.candle_stream(root))
    client = bus.client
    js = client.jetstream()
    try:
        started = time.perf_counter()
        for subject, payload, headers, durable in messages:
            if durable:
                await js.publish(subject, payload, headers=headers, timeout=5.0)
            else:
                await client.publish(subject, payload, headers=headers)
        await client.flush()
        elapsed = time.perf_counter() - started
    finally:
        await _clean(bus, root, None)
    return len(messages) / elapsed


async def measure(
    nats_url: str, redis_url: str, market: Market, work: Path, repeats: int
) -> dict[str, tuple[float, float]]:
    """Return the median (runner, raw) events/s of each scenario, alternating them each repeat."""
    rates: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in SCENARIOS}
    bus = await NatsBus.connect(nats_url, name="bench-replay")
    redis = Redis.from_url(redis_url)
    try:
        await raw(bus, market, with_trades=True)  # warm-up
        for _ in range(repeats):
            for name in SCENARIOS:
                with_trades = name != "candles only"
                cache = redis_url if name.endswith("price cache") else None
                ours, theirs = rates[name]
                ours.append(
                    await runner(bus, market, work, with_trades=with_trades, redis_url=cache)
                )
                theirs.append(await raw(bus, market, with_trades=with_trades))
    finally:
        await bus.close()
        await redis.aclose()
    return {
        name: (statistics.median(ours), statistics.median(theirs))
        for name, (ours, theirs) in rates.items()
    }


def report(rates: dict[str, tuple[float, float]], market: Market, console: Console) -> None:
    """Print the table: events/s of each scenario, the runner against raw nats-py."""
    table = Table(
        title=f"Replay at speed max: {len(market.candles):,} XRP/ETH 1m candles, "
        f"{len(market.trades):,} trades (median events/s)"
    )
    for column in ("scenario", "events", "replay runner", "raw nats-py", "runner of raw"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    table.add_column("runner cost per event", justify="right")
    for name, (ours, theirs) in rates.items():
        events = _events(market, with_trades=name != "candles only")
        extra_us = (1 / ours - 1 / theirs) * 1e6
        table.add_row(
            name,
            f"{events:,}",
            f"{ours:,.0f}",
            f"{theirs:,.0f}",
            f"{ours / theirs:.0%} of raw",
            f"+{extra_us:,.1f} µs",
        )
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--candles", type=int, default=0, help="first N candles (0: all)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    # The bus warns when its connection closes, which the end of the run does on purpose.
    logging.getLogger("crypto_trader.common.bus").setLevel(logging.ERROR)
    logging.getLogger("crypto_trader.marketdata").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        market = load_market(args.data, args.candles, work)
        with testing.nats_server(work) as nats_url, testing.redis_server(work) as redis_url:
            rates = asyncio.run(measure(nats_url, redis_url, market, work, args.repeats))
    report(rates, market, Console(soft_wrap=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
