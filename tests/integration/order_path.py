"""The order path's services run in-process on real NATS, fed as marketdata and strategy feed them.

``running_order_path`` starts the services a test asks for, one after the other as a supervisor
brings them up (each migrates its own tables), against a stand-in marketdata gRPC server that
answers history requests from the candles the test has closed. ``OrderPath`` publishes candles and
signals exactly as the real publishers do and reads back what the services published and booked.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import nats.js.errors

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.codec import candle_to_proto
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle
from crypto_trader.common.settings import InfraSettings
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.portfolio.v1 import portfolio_service_pb2, portfolio_service_pb2_grpc
from crypto_trader.contracts.risk.v1 import orders_pb2 as risk_pb2
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.execution.testing import FakeMarketDataServicer, fake_marketdata

# A service to start: its name (to find its channel), its ``run(settings, stop)`` and settings.
Service = tuple[str, Callable[..., Awaitable[None]], Any]
# Builds the services from the settings every service shares (infra, heartbeat, grace).
ServicePlan = Callable[[dict[str, Any]], Sequence[Service]]


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Wait until ``check`` holds; fail the test after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


@dataclass
class OrderPath:
    bus: NatsBus
    root: str
    marketdata: FakeMarketDataServicer
    channels: dict[str, grpc.aio.Channel]

    async def close(self, candle: Candle) -> None:
        """Close a candle as marketdata does: stored (history answers it) before it is published."""
        self.marketdata.candles.append(candle)
        key = (candle.exchange, candle.symbol, candle.timeframe)
        event_id = stable_id("candle", *key, candle.open_time_ms)
        message = market_data_pb2.CandleClosed(
            event_id=event_id, ts_event=1, ts_init=1, candle=candle_to_proto(candle)
        )
        await self.bus.publish_durable(subjects.candles(self.root, *key), message, msg_id=event_id)

    async def signal(self, message: signals_pb2.SignalGenerated) -> None:
        """Publish a signal as the strategy service does."""
        await self.bus.publish_durable(
            subjects.signals(self.root, message.account), message, msg_id=message.event_id
        )

    async def events(self, spec: streams.StreamSpec, kinds: tuple[type, ...]) -> list[Any]:
        """Every message of a stream whose type is one of ``kinds``, decoded, in stream order."""
        js = self.bus.client.jetstream()
        try:
            info = await js.stream_info(spec.name)
        except nats.js.errors.NotFoundError:
            return []
        found: list[Any] = []
        if not info.state.messages:
            return found
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            raw = await js.get_msg(spec.name, sequence)
            kind_name = raw.headers.get("ct-type", "") if raw.headers else ""
            kind = next((k for k in kinds if kind_name.endswith(f".{k.__name__}")), None)
            if kind is not None:
                found.append(kind.FromString(raw.data or b""))
        return found

    async def signals(self) -> list[signals_pb2.SignalGenerated]:
        return await self.events(streams.signal_stream(self.root), (signals_pb2.SignalGenerated,))

    async def fills(self) -> list[orders_pb2.OrderFilled]:
        return await self.events(
            streams.execution_event_stream(self.root), (orders_pb2.OrderFilled,)
        )

    async def order_updates(self) -> list[orders_pb2.OrderUpdated]:
        return await self.events(
            streams.execution_event_stream(self.root), (orders_pb2.OrderUpdated,)
        )

    async def rejections(self) -> list[risk_pb2.OrderIntentRejected]:
        return await self.events(
            streams.risk_event_stream(self.root), (risk_pb2.OrderIntentRejected,)
        )

    @property
    def portfolio(self) -> portfolio_service_pb2_grpc.PortfolioServiceStub:
        return portfolio_service_pb2_grpc.PortfolioServiceStub(self.channels["portfolio"])

    async def equity(self) -> Any:
        reply = await self.portfolio.GetEquity(portfolio_service_pb2.GetEquityRequest())
        return reply.equity

    async def position(self, symbol: str = "BTC/USDT") -> Any:
        reply = await self.portfolio.GetPositions(portfolio_service_pb2.GetPositionsRequest())
        return next((p for p in reply.positions if p.symbol == symbol), None)

    async def booked(self, count: int) -> bool:
        """Tell whether the ledger has booked at least ``count`` fills."""
        return int((await self.equity()).fills_booked) >= count


@contextlib.asynccontextmanager
async def running_order_path(
    nats_url: str, root: str, database_url: str, tmp_path: Path, plan: ServicePlan
) -> AsyncIterator[OrderPath]:
    """Run the planned services on this run's subjects and streams; remove the streams after."""
    bus = await NatsBus.connect(nats_url, name=f"order-path-{root}")
    for spec in streams.all_streams(root):
        await bus.ensure_stream(spec)
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    channels: dict[str, grpc.aio.Channel] = {}
    async with fake_marketdata() as (marketdata, address):
        infra = InfraSettings(
            nats_url=nats_url,
            # SQLite: each service its own file, as ``ct up`` runs them; PostgreSQL: one database.
            database_url=None if database_url.startswith("sqlite") else database_url,
            subject_root=root,
            data_dir=tmp_path,
            marketdata_addr=address,
            log_json=False,
        )
        shared: dict[str, Any] = {
            "heartbeat_seconds": 60,
            "shutdown_grace_seconds": 0.1,
            "infra": infra,
        }
        try:
            for name, run, settings in plan(shared):
                tasks.append(asyncio.create_task(run(settings, stop)))
                channel = grpc.aio.insecure_channel(f"127.0.0.1:{settings.grpc_port}")
                channels[name] = channel
                await asyncio.wait_for(channel.channel_ready(), timeout=15)
            yield OrderPath(bus, root, marketdata, channels)
        finally:
            stop.set()
            for channel in channels.values():
                await channel.close()
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)
    js: Any = bus.client.jetstream()
    for spec in streams.all_streams(root):
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(spec.name)
    await bus.close()
