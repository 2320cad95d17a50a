"""Fakes of the backend services for the gateway's tests: tiny gRPC servers on free ports.

They are plain (threaded) gRPC servers, so they run beside any event loop, including the one
FastAPI's TestClient runs the app in. Each implements only the calls the gateway makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from crypto_trader.common.embedded import free_port
from crypto_trader.common.settings import InfraSettings
from crypto_trader.contracts.execution.v1 import (
    execution_service_pb2,
    execution_service_pb2_grpc,
    orders_pb2,
)
from crypto_trader.contracts.marketdata.v1 import (
    market_data_pb2,
    market_data_service_pb2,
    market_data_service_pb2_grpc,
)
from crypto_trader.contracts.ml.v1 import ml_service_pb2
from crypto_trader.contracts.portfolio.v1 import (
    portfolio_pb2,
    portfolio_service_pb2,
    portfolio_service_pb2_grpc,
)
from crypto_trader.contracts.risk.v1 import risk_service_pb2
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2, strategy_service_pb2_grpc

SERVICES = ("marketdata", "strategy", "risk", "execution", "portfolio", "ml")
_FULL_NAMES = {
    "marketdata": market_data_service_pb2.DESCRIPTOR.services_by_name["MarketDataService"],
    "strategy": strategy_service_pb2.DESCRIPTOR.services_by_name["StrategyService"],
    "risk": risk_service_pb2.DESCRIPTOR.services_by_name["RiskService"],
    "execution": execution_service_pb2.DESCRIPTOR.services_by_name["ExecutionService"],
    "portfolio": portfolio_service_pb2.DESCRIPTOR.services_by_name["PortfolioService"],
    "ml": ml_service_pb2.DESCRIPTOR.services_by_name["MLService"],
}


class FakeMarketData(market_data_service_pb2_grpc.MarketDataServiceServicer):
    """Candles from a list; unknown timeframes are refused like the real service does."""

    def __init__(self) -> None:
        self.candles: list[market_data_pb2.Candle] = []
        self.status = market_data_service_pb2.GetReplayStatusResponse()
        self.timeframes = {"1m", "5m", "15m", "1h", "4h", "1d"}

    def GetCandles(
        self, request: market_data_service_pb2.GetCandlesRequest, context: grpc.ServicerContext
    ) -> market_data_service_pb2.GetCandlesResponse:
        if request.timeframe not in self.timeframes:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"unknown timeframe {request.timeframe!r}"
            )
        found = [
            c
            for c in sorted(self.candles, key=lambda c: c.open_time_ms)
            if (c.exchange, c.symbol, c.timeframe)
            == (request.exchange, request.symbol, request.timeframe)
        ]
        if request.limit:
            found = found[-request.limit :] if request.from_end else found[: request.limit]
        return market_data_service_pb2.GetCandlesResponse(candles=found)

    def GetReplayStatus(
        self,
        _request: market_data_service_pb2.GetReplayStatusRequest,
        _context: grpc.ServicerContext,
    ) -> market_data_service_pb2.GetReplayStatusResponse:
        return self.status


class FakeExecution(execution_service_pb2_grpc.ExecutionServiceServicer):
    """Orders and fills from lists, newest first, per account."""

    def __init__(self) -> None:
        self.orders: list[orders_pb2.Order] = []
        self.fills: list[orders_pb2.OrderFilled] = []
        self.requests: list[Any] = []

    def ListOrders(
        self, request: execution_service_pb2.ListOrdersRequest, _context: grpc.ServicerContext
    ) -> execution_service_pb2.ListOrdersResponse:
        self.requests.append(request)
        mine = [o for o in self.orders if o.account == request.account]
        return execution_service_pb2.ListOrdersResponse(orders=mine[: request.limit or None])

    def ListFills(
        self, request: execution_service_pb2.ListFillsRequest, _context: grpc.ServicerContext
    ) -> execution_service_pb2.ListFillsResponse:
        self.requests.append(request)
        mine = [f for f in self.fills if f.account == request.account]
        return execution_service_pb2.ListFillsResponse(fills=mine[: request.limit or None])


class FakePortfolio(portfolio_service_pb2_grpc.PortfolioServiceServicer):
    """Positions and equity per account; an unknown account is NOT_FOUND."""

    def __init__(self) -> None:
        self.positions: list[portfolio_pb2.Position] = []
        self.equity: dict[str, portfolio_pb2.Equity] = {}

    def GetPositions(
        self, request: portfolio_service_pb2.GetPositionsRequest, _context: grpc.ServicerContext
    ) -> portfolio_service_pb2.GetPositionsResponse:
        mine = [p for p in self.positions if p.account == request.account]
        return portfolio_service_pb2.GetPositionsResponse(positions=mine)

    def GetEquity(
        self, request: portfolio_service_pb2.GetEquityRequest, context: grpc.ServicerContext
    ) -> portfolio_service_pb2.GetEquityResponse:
        if request.account not in self.equity:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no account {request.account!r}")
        return portfolio_service_pb2.GetEquityResponse(equity=self.equity[request.account])


class FakeStrategy(strategy_service_pb2_grpc.StrategyServiceServicer):
    """Strategy instances from a list."""

    def __init__(self) -> None:
        self.instances: list[strategy_service_pb2.StrategyInstance] = []

    def ListInstances(
        self, _request: strategy_service_pb2.ListInstancesRequest, _context: grpc.ServicerContext
    ) -> strategy_service_pb2.ListInstancesResponse:
        return strategy_service_pb2.ListInstancesResponse(instances=self.instances)


@dataclass
class FakeServer:
    """One running fake: its address and health status switch."""

    name: str
    addr: str
    health: health.HealthServicer

    def set_serving(self, serving: bool) -> None:
        """Report the service (and the server) as serving or not."""
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", _FULL_NAMES[self.name].full_name):
            self.health.set(name, status)


Registrar = Callable[[Any, grpc.Server], None]


@contextmanager
def serve_fake(
    name: str, servicer: Any = None, add_to_server: Registrar | None = None
) -> Iterator[FakeServer]:
    """Serve one backend (its servicer, if any, plus ``grpc.health.v1``) on a free port."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    if add_to_server is not None:
        add_to_server(servicer, server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    fake = FakeServer(name, f"127.0.0.1:{port}", health_servicer)
    fake.set_serving(True)
    try:
        yield fake
    finally:
        server.stop(grace=None)


@dataclass
class FakeBackends:
    """All six backends: four with fake servicers, risk and ml with health only."""

    marketdata: FakeMarketData = field(default_factory=FakeMarketData)
    strategy: FakeStrategy = field(default_factory=FakeStrategy)
    execution: FakeExecution = field(default_factory=FakeExecution)
    portfolio: FakePortfolio = field(default_factory=FakePortfolio)
    servers: dict[str, FakeServer] = field(default_factory=dict)

    def infra(
        self, *, nats_url: str, subject_root: str, down: tuple[str, ...] = ()
    ) -> InfraSettings:
        """Settings pointing at the fakes; those in ``down`` point at a port nobody listens on."""
        addr = {name: self.servers[name].addr for name in SERVICES}
        for name in down:
            addr[name] = f"127.0.0.1:{free_port()}"
        return InfraSettings(
            nats_url=nats_url,
            subject_root=subject_root,
            marketdata_addr=addr["marketdata"],
            strategy_addr=addr["strategy"],
            risk_addr=addr["risk"],
            execution_addr=addr["execution"],
            portfolio_addr=addr["portfolio"],
            ml_addr=addr["ml"],
        )


@contextmanager
def serve_fake_backends() -> Iterator[FakeBackends]:
    """Start every fake backend; stop them all on exit."""
    fakes = FakeBackends()
    servicers: list[tuple[str, Any, Registrar | None]] = [
        (
            "marketdata",
            fakes.marketdata,
            market_data_service_pb2_grpc.add_MarketDataServiceServicer_to_server,
        ),
        (
            "strategy",
            fakes.strategy,
            strategy_service_pb2_grpc.add_StrategyServiceServicer_to_server,
        ),
        ("risk", None, None),
        (
            "execution",
            fakes.execution,
            execution_service_pb2_grpc.add_ExecutionServiceServicer_to_server,
        ),
        (
            "portfolio",
            fakes.portfolio,
            portfolio_service_pb2_grpc.add_PortfolioServiceServicer_to_server,
        ),
        ("ml", None, None),
    ]
    with ExitStack() as stack:
        for name, servicer, add_to_server in servicers:
            fakes.servers[name] = stack.enter_context(serve_fake(name, servicer, add_to_server))
        yield fakes


# --- builders of contract messages with plausible values ----------------------------------------

OPEN_TIME_MS = 1_700_000_100_000


def a_candle(
    open_time_ms: int = OPEN_TIME_MS, *, close: str = "37050.5", **changes: Any
) -> market_data_pb2.Candle:
    """A closed 5m BTC/USDT candle on binance."""
    values: dict[str, Any] = {
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "timeframe": "5m",
        "open_time_ms": open_time_ms,
        "close_time_ms": open_time_ms + 300_000,
        "open": "37000",
        "high": "37100.25",
        "low": "36950",
        "close": close,
        "volume": "12.345",
        "closed": True,
        "synthetic": False,
    }
    values.update(changes)
    return market_data_pb2.Candle(**values)


def an_order(client_order_id: str = "ct-abc", **changes: Any) -> orders_pb2.Order:
    """A filled paper market buy."""
    values: dict[str, Any] = {
        "client_order_id": client_order_id,
        "venue_order_id": "paper-1",
        "account": "paper",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "side": 1,
        "order_type": "MARKET",
        "quantity": "0.02699",
        "filled_quantity": "0.02699",
        "average_price": "37000",
        "status": orders_pb2.ORDER_STATUS_FILLED,
        "created_ms": OPEN_TIME_MS,
        "updated_ms": OPEN_TIME_MS + 300_000,
        "reason": "",
        "mode": 1,
    }
    values.update(changes)
    return orders_pb2.Order(**values)


def a_fill(client_order_id: str = "ct-abc", **changes: Any) -> orders_pb2.OrderFilled:
    """The fill of ``an_order``."""
    values: dict[str, Any] = {
        "event_id": f"fill-{client_order_id}",
        "ts_event": OPEN_TIME_MS + 300_000,
        "ts_init": OPEN_TIME_MS + 300_000,
        "trade_id": f"paper-{client_order_id}-1",
        "client_order_id": client_order_id,
        "venue_order_id": "paper-1",
        "account": "paper",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "side": 1,
        "quantity": "0.02699",
        "price": "37000",
        "fee": "0.99863",
        "fee_currency": "USDT",
        "maker": False,
        "mode": 1,
    }
    values.update(changes)
    return orders_pb2.OrderFilled(**values)


def a_position(**changes: Any) -> portfolio_pb2.Position:
    """A long BTC/USDT position."""
    values: dict[str, Any] = {
        "account": "paper",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "quantity": "0.02699",
        "average_price": "37000",
        "last_price": "37050.5",
        "market_value": "999.992995",
        "unrealised_pnl": "1.362995",
        "realised_pnl": "0",
    }
    values.update(changes)
    return portfolio_pb2.Position(**values)


def an_equity(**changes: Any) -> portfolio_pb2.Equity:
    """The paper account after one buy."""
    values: dict[str, Any] = {
        "account": "paper",
        "currency": "USDT",
        "cash": "9000.37137",
        "positions_value": "999.992995",
        "equity": "10000.364365",
        "realised_pnl": "0",
        "unrealised_pnl": "1.362995",
        "fees_paid": "0.99863",
        "fills_booked": 1,
    }
    values.update(changes)
    return portfolio_pb2.Equity(**values)
