"""The portfolio service in-process against real NATS and a real database, checked through gRPC."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import TYPE_HEADER, NatsBus, decode
from crypto_trader.common.embedded import free_port
from crypto_trader.common.ids import stable_id
from crypto_trader.common.settings import InfraSettings
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.portfolio.v1 import (
    portfolio_pb2,
    portfolio_service_pb2_grpc,
)
from crypto_trader.contracts.portfolio.v1 import (
    portfolio_service_pb2 as pb,
)
from crypto_trader.portfolio.app import run
from crypto_trader.portfolio.settings import PortfolioSettings

pytestmark = pytest.mark.integration
D = Decimal
SYMBOL = "BTC/USDT"
CANDLE_OPEN_MS = 1_700_000_100_000


@pytest.fixture
def settings(nats_url: str, run_root: str, database_url: str, tmp_path: Path) -> PortfolioSettings:
    return PortfolioSettings(
        grpc_port=free_port(),
        heartbeat_seconds=60,
        shutdown_grace_seconds=0.5,
        instance_id="test",
        infra=InfraSettings(
            nats_url=nats_url,
            database_url=database_url,
            subject_root=run_root,
            data_dir=tmp_path,
        ),
    )


@asynccontextmanager
async def running(
    settings: PortfolioSettings,
) -> AsyncIterator[portfolio_service_pb2_grpc.PortfolioServiceStub]:
    stop = asyncio.Event()
    task = asyncio.create_task(run(settings, stop))
    async with grpc.aio.insecure_channel(f"127.0.0.1:{settings.grpc_port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        try:
            await _until(lambda: _serving(health, task), what="the service to serve")
            yield portfolio_service_pb2_grpc.PortfolioServiceStub(channel)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=20)


async def _serving(health: health_pb2_grpc.HealthStub, task: asyncio.Task[None]) -> bool:
    if task.done():
        task.result()  # surface the startup error
        raise AssertionError("the service stopped during startup")
    try:
        reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.aio.AioRpcError:
        return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


async def _until(check: Callable[[], object], *, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def filled(
    trade_id: str,
    side: int,
    quantity: str,
    price: str,
    fee: str,
    *,
    event_id: str | None = None,
) -> orders_pb2.OrderFilled:
    return orders_pb2.OrderFilled(
        event_id=event_id or stable_id("test-fill", trade_id),
        ts_event=1_700_000_000_000,
        ts_init=1_700_000_000_000,
        trade_id=trade_id,
        client_order_id="ct-" + trade_id,
        account="paper",
        exchange="binance",
        symbol=SYMBOL,
        side=side,
        quantity=quantity,
        price=price,
        fee=fee,
        fee_currency="USDT",
        mode=common_pb2.TRADING_MODE_PAPER,
    )


def candle_closed(close: str) -> market_data_pb2.CandleClosed:
    event_id = stable_id("candle", "binance", SYMBOL, "5m", CANDLE_OPEN_MS)
    return market_data_pb2.CandleClosed(
        event_id=event_id,
        ts_event=CANDLE_OPEN_MS + 300_000,
        ts_init=CANDLE_OPEN_MS + 300_000,
        candle=market_data_pb2.Candle(
            exchange="binance",
            symbol=SYMBOL,
            timeframe="5m",
            open_time_ms=CANDLE_OPEN_MS,
            close_time_ms=CANDLE_OPEN_MS + 300_000,
            open=close,
            high=close,
            low=close,
            close=close,
            volume="12.5",
            closed=True,
        ),
    )


class Exchange:
    """Plays execution and marketdata: publishes fills and candles as they would."""

    def __init__(self, bus: NatsBus, root: str) -> None:
        self.bus = bus
        self.root = root

    async def fill(self, message: orders_pb2.OrderFilled | orders_pb2.OrderUpdated) -> None:
        subject = subjects.execution_events(self.root, "paper", SYMBOL)
        await self.bus.publish_durable(subject, message, msg_id=message.event_id)

    async def candle(self, message: market_data_pb2.CandleClosed) -> None:
        c = message.candle
        subject = subjects.candles(self.root, c.exchange, c.symbol, c.timeframe)
        await self.bus.publish_durable(subject, message, msg_id=message.event_id)


@pytest.fixture
async def exchange(nats_url: str, run_root: str) -> AsyncIterator[Exchange]:
    bus = await NatsBus.connect(nats_url, name="portfolio-test")
    await bus.ensure_stream(streams.execution_event_stream(run_root))
    await bus.ensure_stream(streams.candle_stream(run_root))
    yield Exchange(bus, run_root)
    await bus.close()


async def equity_of(stub: portfolio_service_pb2_grpc.PortfolioServiceStub) -> portfolio_pb2.Equity:
    return (await stub.GetEquity(pb.GetEquityRequest())).equity


async def fills_booked(stub, count: int) -> bool:
    return (await equity_of(stub)).fills_booked >= count


async def published_events(exchange: Exchange) -> list:
    """Every message on the portfolio stream, decoded."""
    js = exchange.bus.client.jetstream()
    name = streams.portfolio_stream(exchange.root).name
    info = await js.stream_info(name)
    accepted = [portfolio_pb2.PositionChanged, portfolio_pb2.EquityUpdated]
    messages = []
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        raw = await js.get_msg(name, sequence)
        assert raw.headers and raw.headers[TYPE_HEADER]
        messages.append(decode(raw.data, raw.headers, accepted))
    return messages


def assert_balanced(entries) -> None:
    for entry in entries:
        totals: dict[str, Decimal] = {}
        for posting in entry.postings:
            totals[posting.asset] = totals.get(posting.asset, D(0)) + D(posting.amount)
        assert set(totals.values()) == {D(0)}, entry


BUY, SELL = common_pb2.SIDE_BUY, common_pb2.SIDE_SELL


async def test_books_each_fill_once_and_values_equity_across_a_restart(
    settings: PortfolioSettings, exchange: Exchange
) -> None:
    first = filled("tr-1", BUY, "0.1", "30000", "3")
    async with running(settings) as stub:
        await exchange.fill(first)
        await exchange.fill(first)  # the same event again: JetStream drops it
        await exchange.fill(filled("tr-1", BUY, "9", "1", "0", event_id="another-event"))
        await exchange.fill(orders_pb2.OrderUpdated(event_id="update-1", ts_event=1, ts_init=1))
        await exchange.fill(filled("tr-bad", BUY, "abc", "30000", "3"))  # malformed decimal
        await exchange.fill(filled("tr-long", BUY, "0.123456789", "1.0000000001", "0"))  # 19 places
        await exchange.fill(filled("tr-2", BUY, "0.05", "31000", "1.55"))
        await exchange.fill(filled("tr-3", SELL, "0.08", "32000", "2.56"))
        await _until(lambda: fills_booked(stub, 3), what="three fills")
        await exchange.candle(candle_closed("33000"))

        async def marked() -> bool:
            positions = (await stub.GetPositions(pb.GetPositionsRequest())).positions
            return bool(positions) and positions[0].last_price == "33000"

        await _until(marked, what="the candle's price")

        # Independent bookkeeping: cash moves by -q*p - fee on buys and +q*p - fee on sells.
        cash = D(10000) - (D("3000") + 3) - (D("1550") + D("1.55")) + (D("2560") - D("2.56"))
        quantity = D("0.1") + D("0.05") - D("0.08")
        equity = await equity_of(stub)
        assert D(equity.cash) == cash == D("8002.89")
        assert D(equity.positions_value) == quantity * 33000
        assert D(equity.equity) == cash + quantity * 33000 == D("10312.89")
        assert D(equity.fees_paid) == D("7.11")
        assert equity.fills_booked == 3
        assert D(equity.equity) == (
            10000 + D(equity.realised_pnl) + D(equity.unrealised_pnl) - D(equity.fees_paid)
        )
        balances = (await stub.GetBalances(pb.GetBalancesRequest(account="paper"))).balances
        assert {b.asset: D(b.total) for b in balances} == {"USDT": cash, "BTC": quantity}
        [position] = (await stub.GetPositions(pb.GetPositionsRequest())).positions
        assert (position.symbol, D(position.quantity)) == (SYMBOL, quantity)
        assert D(position.market_value) == quantity * 33000

        journal = (await stub.ListJournal(pb.ListJournalRequest(kind="fill"))).entries
        assert [e.source_id for e in journal] == [
            "fill:binance:paper:tr-3",
            "fill:binance:paper:tr-2",
            "fill:binance:paper:tr-1",
        ]
        assert_balanced(journal)
        assert len((await stub.ListJournal(pb.ListJournalRequest(kind="deposit"))).entries) == 1
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.ListJournal(pb.ListJournalRequest(kind="bogus"))
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert not (await stub.GetPositions(pb.GetPositionsRequest(account="nobody"))).positions

        events = await published_events(exchange)
        # Three fills and one candle, two events each; duplicates published nothing new.
        assert len(events) == 8
        assert len({e.event_id for e in events}) == 8
        candle_equity = next(
            e
            for e in events
            if e.event_id == stable_id("equity", "paper", "binance", SYMBOL, CANDLE_OPEN_MS)
        )
        assert D(candle_equity.equity.equity) == D("10312.89")

    async with running(settings) as stub:
        assert await equity_of(stub) == equity
        assert len((await stub.ListJournal(pb.ListJournalRequest(kind="deposit"))).entries) == 1

        await exchange.fill(filled("tr-1", BUY, "0.1", "30000", "3", event_id="replayed-later"))
        await exchange.fill(filled("tr-4", SELL, "0.07", "33000", "2.31"))
        await _until(lambda: fills_booked(stub, 4), what="the fourth fill")

        equity = await equity_of(stub)
        assert equity.fills_booked == 4
        assert D(equity.cash) == D(equity.equity) == cash + D("2310") - D("2.31")
        [position] = (await stub.GetPositions(pb.GetPositionsRequest())).positions
        assert D(position.quantity) == 0
        journal = (await stub.ListJournal(pb.ListJournalRequest(limit=1000))).entries
        assert [e.source_id for e in journal].count("fill:binance:paper:tr-1") == 1
        assert len(journal) == 5
        assert_balanced(journal)
