"""In-memory fakes of the execution ports, builders of test data, and an integration harness."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import grpc
import nats.js.errors
from google.protobuf.message import Message

from crypto_trader.common import bus as bus_module
from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.codec import candle_to_proto
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle, Side
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.execution.v1 import execution_service_pb2_grpc
from crypto_trader.contracts.marketdata.v1 import (
    market_data_pb2,
    market_data_service_pb2,
    market_data_service_pb2_grpc,
)
from crypto_trader.contracts.risk.v1 import orders_pb2 as risk_orders_pb2
from crypto_trader.execution import app
from crypto_trader.execution.adapters import codec
from crypto_trader.execution.adapters.nats_consumer import CANDLES_DURABLE, ORDERS_DURABLE
from crypto_trader.execution.domain.events import ExecutionEvent
from crypto_trader.execution.domain.order import Fill, Order, OrderType, TradingMode
from crypto_trader.execution.domain.protection import EntryProtection, ProtectionStatus
from crypto_trader.execution.handlers import PlaceOrder
from crypto_trader.execution.ports import OutboxMessage
from crypto_trader.execution.settings import ExecutionSettings

FIVE_MINUTES_MS = 300_000


class FakeOrderStore:
    """Orders, fills and outbox in dictionaries, with the same conflict rules as the real store."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.fills: dict[tuple[str, str, str], Fill] = {}
        self.outbox: list[OutboxMessage] = []
        self.sent: dict[str, int] = {}
        self.events: list[ExecutionEvent] = []
        self.protections: dict[str, EntryProtection] = {}

    async def get(self, client_order_id: str) -> Order | None:
        """Return the order with this client order id, or None."""
        return self.orders.get(client_order_id)

    async def add(self, order: Order, events: Sequence[ExecutionEvent]) -> bool:
        """Store a new order with its events, unless the client order id exists."""
        if order.client_order_id in self.orders:
            return False
        self.orders[order.client_order_id] = order
        self._write(events)
        return True

    async def save_fill(
        self, before: Order, after: Order, fill: Fill, events: Sequence[ExecutionEvent]
    ) -> bool:
        """Store the fill and the new order state, unless the order moved on or the trade exists."""
        stored = self.orders.get(before.client_order_id)
        key = (after.exchange, after.account, fill.trade_id)
        if stored is None or stored.version != before.version or key in self.fills:
            return False
        self.orders[after.client_order_id] = after
        self.fills[key] = fill
        self._write(events)
        return True

    async def open_orders(
        self, exchange: str, symbol: str, timeframe: str, *, not_before_below_ms: int
    ) -> list[Order]:
        """Return the open orders of a market whose ``not_before_ms`` is below the given time."""
        return [
            order
            for order in self.orders.values()
            if order.is_open
            and (order.exchange, order.symbol, order.timeframe) == (exchange, symbol, timeframe)
            and order.not_before_ms < not_before_below_ms
        ]

    async def add_protection(self, protection: EntryProtection) -> bool:
        """Store an entry's protection unless it has one."""
        if protection.entry_client_order_id in self.protections:
            return False
        self.protections[protection.entry_client_order_id] = protection
        return True

    async def get_protection(self, entry_client_order_id: str) -> EntryProtection | None:
        """Return the protection of an entry order, or None."""
        return self.protections.get(entry_client_order_id)

    async def save_protection(self, before: EntryProtection, after: EntryProtection) -> bool:
        """Store a new state unless the stored one moved on."""
        stored = self.protections.get(before.entry_client_order_id)
        if stored is None or stored.version != before.version:
            return False
        self.protections[after.entry_client_order_id] = after
        return True

    async def watching_protections(
        self, exchange: str, symbol: str, timeframe: str
    ) -> list[EntryProtection]:
        """Return the market's active protections, oldest first."""
        return [
            p
            for p in self._sorted_protections()
            if (p.exchange, p.symbol, p.timeframe) == (exchange, symbol, timeframe)
            and p.status is ProtectionStatus.ACTIVE
        ]

    async def protections_of(
        self, account: str, exchange: str, symbol: str
    ) -> list[EntryProtection]:
        """Return an account's protections in a market, oldest first."""
        return [
            p
            for p in self._sorted_protections()
            if (p.account, p.exchange, p.symbol) == (account, exchange, symbol)
        ]

    def _sorted_protections(self) -> list[EntryProtection]:
        return sorted(
            self.protections.values(), key=lambda p: (p.created_ms, p.entry_client_order_id)
        )

    async def unsent(self, limit: int) -> list[OutboxMessage]:
        """Return up to ``limit`` unpublished events in commit order."""
        return [message for message in self.outbox if message.event_id not in self.sent][:limit]

    async def mark_sent(self, event_id: str, sent_ms: int) -> None:
        """Record that the event reached the bus."""
        self.sent.setdefault(event_id, sent_ms)

    def _write(self, events: Sequence[ExecutionEvent]) -> None:
        for event in events:
            self.events.append(event)
            self.outbox.append(codec.to_outbox(event))


class RecordingPublisher:
    """Keep every published message; fail the next ``failures`` publishes first."""

    def __init__(self, *, failures: int = 0) -> None:
        self.published: list[OutboxMessage] = []
        self.failures = failures

    async def publish(self, message: OutboxMessage) -> None:
        """Record the message, or fail as told."""
        if self.failures > 0:
            self.failures -= 1
            raise RetryableError("bus unavailable (fake)")
        self.published.append(message)

    @property
    def event_ids(self) -> list[str]:
        """Ids of the published events, in publish order."""
        return [message.event_id for message in self.published]

    def decoded(self) -> list[object]:
        """The published proto messages."""
        return [codec.from_outbox(message) for message in self.published]


class FakeMarketHistory:
    """A candle store in a list; ``unavailable`` makes questions fail like a network error."""

    def __init__(self, candles: Sequence[Candle] = ()) -> None:
        self.candles = list(candles)
        self.unavailable = False
        self.questions: list[tuple[str, str, str, int]] = []

    async def first_candle_after(
        self, exchange: str, symbol: str, timeframe: str, after_ms: int
    ) -> Candle | None:
        """Return the first stored closed candle that opened after ``after_ms``."""
        self.questions.append((exchange, symbol, timeframe, after_ms))
        if self.unavailable:
            raise RetryableError("marketdata unavailable (fake)")
        matching = sorted(
            (
                candle
                for candle in self.candles
                if (candle.exchange, candle.symbol, candle.timeframe)
                == (exchange, symbol, timeframe)
                and candle.closed
                and candle.open_time_ms > after_ms
            ),
            key=lambda candle: candle.open_time_ms,
        )
        return matching[0] if matching else None

    async def candles_between(
        self, exchange: str, symbol: str, timeframe: str, after_ms: int, before_ms: int
    ) -> list[Candle]:
        """Return the stored closed candles opened after ``after_ms`` and before ``before_ms``."""
        if self.unavailable:
            raise RetryableError("marketdata unavailable (fake)")
        return sorted(
            (
                candle
                for candle in self.candles
                if (candle.exchange, candle.symbol, candle.timeframe)
                == (exchange, symbol, timeframe)
                and candle.closed
                and after_ms < candle.open_time_ms < before_ms
            ),
            key=lambda candle: candle.open_time_ms,
        )


def candle(
    open_time_ms: int,
    open_price: str = "100",
    *,
    exchange: str = "binance",
    symbol: str = "BTC/USDT",
    timeframe: str = "5m",
    closed: bool = True,
) -> Candle:
    """Build a closed candle whose high/low/close stay around its open."""
    price = Decimal(open_price)
    return Candle(
        exchange=exchange,
        symbol=symbol,
        timeframe=timeframe,
        open_time_ms=open_time_ms,
        open=price,
        high=price * 2,
        low=price / 2,
        close=price,
        volume=Decimal(1),
        closed=closed,
    )


def place_order(
    signal_id: str = "signal-1",
    *,
    quantity: str = "0.5",
    side: Side = Side.BUY,
    not_before_ms: int = 0,
    order_type: OrderType = OrderType.MARKET,
    mode: TradingMode = TradingMode.PAPER,
    account: str = "paper",
    exchange: str = "binance",
    symbol: str = "BTC/USDT",
    timeframe: str = "5m",
) -> PlaceOrder:
    """Build an approved-intent command the way risk derives its ids from a signal."""
    return PlaceOrder(
        intent_id=stable_id("intent", signal_id),
        client_order_id="ct-" + stable_id("order", signal_id)[:24],
        account=account,
        exchange=exchange,
        symbol=symbol,
        side=side,
        order_type=order_type,
        quantity=Decimal(quantity),
        mode=mode,
        timeframe=timeframe,
        not_before_ms=not_before_ms,
    )


def new_order(**changes: object) -> Order:
    """Build an order in PENDING_SUBMIT with sensible defaults."""
    order = Order(
        client_order_id="ct-order-1",
        account="paper",
        exchange="binance",
        symbol="BTC/USDT",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        quantity=Decimal("1"),
        mode=TradingMode.PAPER,
        timeframe="5m",
        not_before_ms=0,
        created_ms=0,
    )
    return replace(order, **changes)  # type: ignore[arg-type]


class FakeMarketDataServicer(market_data_service_pb2_grpc.MarketDataServiceServicer):
    """Just enough of marketdata's gRPC service for execution: ``GetCandles`` over a list."""

    def __init__(self) -> None:
        self.candles: list[Candle] = []

    async def GetCandles(
        self,
        request: market_data_service_pb2.GetCandlesRequest,
        _context: grpc.aio.ServicerContext,
    ) -> market_data_service_pb2.GetCandlesResponse:
        found = sorted(
            (
                stored
                for stored in self.candles
                if (stored.exchange, stored.symbol, stored.timeframe)
                == (request.exchange, request.symbol, request.timeframe)
                and stored.open_time_ms >= request.start_ms
                and (request.end_ms == 0 or stored.open_time_ms < request.end_ms)
            ),
            key=lambda stored: stored.open_time_ms,
        )
        if request.limit:
            found = found[-request.limit :] if request.from_end else found[: request.limit]
        return market_data_service_pb2.GetCandlesResponse(
            candles=[candle_to_proto(stored) for stored in found]
        )


@contextlib.asynccontextmanager
async def fake_marketdata() -> AsyncIterator[tuple[FakeMarketDataServicer, str]]:
    """Serve a FakeMarketDataServicer on a free loopback port; yield it and its address."""
    servicer = FakeMarketDataServicer()
    server = grpc.aio.server()
    market_data_service_pb2_grpc.add_MarketDataServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def eventually(check: Callable[[], Awaitable[bool]], *, timeout: float = 10.0) -> None:
    """Wait until ``check`` holds; fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


def approved_intent(
    signal_id: str,
    *,
    quantity: str,
    not_before_ms: int,
    account: str = "paper",
    side: common_pb2.Side = common_pb2.SIDE_BUY,
) -> risk_orders_pb2.OrderIntentApproved:
    """An approved intent with the ids risk derives from a signal."""
    intent_id = stable_id("intent", signal_id)
    return risk_orders_pb2.OrderIntentApproved(
        event_id=intent_id,
        ts_event=1,
        ts_init=1,
        intent_id=intent_id,
        client_order_id="ct-" + stable_id("order", signal_id)[:24],
        account=account,
        exchange="binance",
        symbol="BTC/USDT",
        side=side,
        order_type=risk_orders_pb2.ORDER_TYPE_MARKET,
        quantity=quantity,
        reference_price="100",
        signal_id=signal_id,
        not_before_ms=not_before_ms,
        mode=common_pb2.TRADING_MODE_PAPER,
        timeframe="5m",
    )


@dataclass
class Platform:
    """What surrounds the execution service in a test: NATS, marketdata's store, its settings."""

    bus: NatsBus
    root: str
    marketdata: FakeMarketDataServicer
    settings: ExecutionSettings

    async def publish_intent(
        self, message: risk_orders_pb2.OrderIntentApproved, msg_id: str
    ) -> None:
        """Publish as risk does (any msg id, so tests can get past the stream's de-duplication)."""
        await self.bus.publish_durable(
            subjects.approved_orders(self.root, message.account), message, msg_id=msg_id
        )

    async def close_candle(self, candle: Candle) -> None:
        """Store the candle, then publish it, as marketdata does."""
        self.marketdata.candles.append(candle)
        event_id = stable_id(
            "candle", candle.exchange, candle.symbol, candle.timeframe, candle.open_time_ms
        )
        message = market_data_pb2.CandleClosed(
            event_id=event_id, ts_event=1, ts_init=1, candle=candle_to_proto(candle)
        )
        await self.bus.publish_durable(
            subjects.candles(self.root, candle.exchange, candle.symbol, candle.timeframe),
            message,
            msg_id=event_id,
        )

    async def execution_events(self) -> list[Message]:
        """Every message on the execution event stream in order: what any consumer sees."""
        js = self.bus.client.jetstream()
        name = streams.execution_event_stream(self.root).name
        try:
            info = await js.stream_info(name)
        except nats.js.errors.NotFoundError:
            return []
        found: list[Message] = []
        if not info.state.messages:
            return found
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            raw = await js.get_msg(name, sequence)
            found.append(bus_module.decode(raw.data or b"", raw.headers, codec.EVENT_TYPES))
        return found

    async def drained(self) -> bool:
        """Tell whether both execution consumers have handled everything published so far."""
        js = self.bus.client.jetstream()
        for stream, durable in (
            (streams.approved_order_stream(self.root), ORDERS_DURABLE),
            (streams.candle_stream(self.root), CANDLES_DURABLE),
        ):
            try:
                info = await js.consumer_info(stream.name, durable)
            except nats.js.errors.NotFoundError:
                return False
            if info.num_pending or info.num_ack_pending:
                return False
        return True

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[execution_service_pb2_grpc.ExecutionServiceStub]:
        """Run the execution service in this event loop; yield a client of its gRPC API."""
        stop = asyncio.Event()
        task = asyncio.create_task(app.run(self.settings, stop))
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{self.settings.grpc_port}")
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout=15)
            yield execution_service_pb2_grpc.ExecutionServiceStub(channel)
        finally:
            stop.set()
            await channel.close()
            await asyncio.wait_for(task, timeout=15)
