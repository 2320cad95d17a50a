"""Feed closed candles from JetStream to the instances: one durable consumer per market.

The durable is ``strategy-candles`` for the platform's default market on a single replica (the
name the service always used) and ``strategy-candles-<market hash>[-r<i>of<n>]`` otherwise, so
each replica reads every candle of each market its instances trade.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import cast

from google.protobuf.message import Message

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.codec import candle_from_proto
from crypto_trader.common.errors import InvalidMessage
from crypto_trader.common.ids import stable_id
from crypto_trader.common.metrics import MESSAGES
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.strategy.handlers import InstanceFleet, Market

DURABLE = "strategy-candles"
DEFAULT_MARKET: Market = ("binance", "BTC/USDT", "5m")


def durable_name(market: Market, *, replica_index: int = 0, replica_count: int = 1) -> str:
    """Return the durable consumer name of one market for one replica."""
    name = DURABLE if market == DEFAULT_MARKET else f"{DURABLE}-{stable_id(*market)[:12]}"
    if replica_count > 1:
        name += f"-r{replica_index}of{replica_count}"
    return name


def consume_candles(
    bus: NatsBus,
    fleet: InstanceFleet,
    *,
    root: str,
    stop: asyncio.Event,
    replica_index: int = 0,
    replica_count: int = 1,
) -> list[asyncio.Task[None]]:
    """Start consuming the candles of every market of the fleet until ``stop`` is set."""
    tasks = []
    for market in fleet.markets():
        durable = durable_name(market, replica_index=replica_index, replica_count=replica_count)
        tasks.append(
            bus.consume(
                streams.candle_stream(root),
                durable=durable,
                filter_subject=subjects.candles(root, *market),
                handler=_handler(fleet, durable),
                accepted=[market_data_pb2.CandleClosed],
                stop=stop,
            )
        )
    return tasks


def _handler(fleet: InstanceFleet, durable: str) -> Callable[[Message, Delivery], Awaitable[None]]:
    async def handle(message: Message, _delivery: Delivery) -> None:
        event = cast(market_data_pb2.CandleClosed, message)  # the only type accepted
        if not event.HasField("candle"):
            raise InvalidMessage("CandleClosed without a candle")
        signals = await fleet.process_candle(candle_from_proto(event.candle))
        outcome = "signal" if signals else "ignored"
        MESSAGES.labels(service="strategy", consumer=durable, outcome=outcome).inc()

    return handle
