"""Feed closed candles from JetStream to the strategy runner (durable ``strategy-candles``)."""

from __future__ import annotations

import asyncio
from typing import cast

from google.protobuf.message import Message

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import Delivery, NatsBus
from crypto_trader.common.codec import candle_from_proto
from crypto_trader.common.errors import InvalidMessage
from crypto_trader.common.metrics import MESSAGES
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.strategy.handlers import StrategyRunner

DURABLE = "strategy-candles"


def consume_candles(
    bus: NatsBus, runner: StrategyRunner, *, root: str, stop: asyncio.Event
) -> asyncio.Task[None]:
    """Start consuming the candles of the runner's market until ``stop`` is set."""
    spec = runner.spec

    async def handle(message: Message, _delivery: Delivery) -> None:
        event = cast(market_data_pb2.CandleClosed, message)  # the only type accepted below
        if not event.HasField("candle"):
            raise InvalidMessage("CandleClosed without a candle")
        signal = await runner.process_candle(candle_from_proto(event.candle))
        outcome = "ignored" if signal is None else "signal"
        MESSAGES.labels(service="strategy", consumer=DURABLE, outcome=outcome).inc()

    return bus.consume(
        streams.candle_stream(root),
        durable=DURABLE,
        filter_subject=subjects.candles(root, spec.exchange, spec.symbol, spec.timeframe),
        handler=handle,
        accepted=[market_data_pb2.CandleClosed],
        stop=stop,
    )
