"""gRPC clients of the backend services: a channel each, deadlines, health checks, error capture."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crypto_trader.common.settings import InfraSettings
from crypto_trader.contracts.execution.v1 import execution_service_pb2, execution_service_pb2_grpc
from crypto_trader.contracts.marketdata.v1 import (
    market_data_service_pb2,
    market_data_service_pb2_grpc,
)
from crypto_trader.contracts.ml.v1 import ml_service_pb2, ml_service_pb2_grpc
from crypto_trader.contracts.portfolio.v1 import portfolio_service_pb2, portfolio_service_pb2_grpc
from crypto_trader.contracts.risk.v1 import risk_service_pb2, risk_service_pb2_grpc
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2, strategy_service_pb2_grpc

StubT = TypeVar("StubT")
R = TypeVar("R")
ServiceHealth = Literal["serving", "not_serving", "unreachable"]

# A backend that was down must be found again within seconds, not after gRPC's default backoff
# (which grows to two minutes), because the gateway usually starts before the services it fronts.
_CHANNEL_OPTIONS = [
    ("grpc.enable_retries", 1),
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


class BackendError(Exception):
    """A call to a backend service failed with a gRPC status."""

    def __init__(self, service: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{service}: {code.name} {details}")
        self.service = service
        self.code = code
        self.details = details


@dataclass
class GrpcBackend(Generic[StubT]):
    """One backend service: its stub, the name it reports health under, and the call deadline."""

    name: str
    service_name: str
    channel: grpc.aio.Channel
    stub: StubT
    timeout_seconds: float

    async def call(self, rpc: Callable[..., Awaitable[R]], request: Message) -> R:
        """Call one of the stub's methods with the deadline; failures raise BackendError."""
        try:
            return await rpc(request, timeout=self.timeout_seconds)
        except grpc.aio.AioRpcError as error:
            raise BackendError(self.name, error.code(), error.details() or "") from None

    async def health(self, timeout_seconds: float) -> ServiceHealth:
        """Ask ``grpc.health.v1`` whether the service is serving."""
        stub = health_pb2_grpc.HealthStub(self.channel)
        request = health_pb2.HealthCheckRequest(service=self.service_name)
        try:
            response = await stub.Check(request, timeout=timeout_seconds)
        except grpc.aio.AioRpcError as error:
            if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                return "unreachable"
            return "not_serving"
        if response.status == health_pb2.HealthCheckResponse.SERVING:
            return "serving"
        return "not_serving"


def _service_name(module: Any, service: str) -> str:
    return str(module.DESCRIPTOR.services_by_name[service].full_name)


def _open(
    name: str,
    target: str,
    stub_type: Callable[[grpc.aio.Channel], StubT],
    full_name: str,
    timeout: float,
) -> GrpcBackend[StubT]:
    channel = grpc.aio.insecure_channel(target, options=_CHANNEL_OPTIONS)
    return GrpcBackend(name, full_name, channel, stub_type(channel), timeout)


@dataclass
class Backends:
    """The gRPC clients of every backend service the gateway fronts."""

    marketdata: GrpcBackend[market_data_service_pb2_grpc.MarketDataServiceStub]
    strategy: GrpcBackend[strategy_service_pb2_grpc.StrategyServiceStub]
    risk: GrpcBackend[risk_service_pb2_grpc.RiskServiceStub]
    execution: GrpcBackend[execution_service_pb2_grpc.ExecutionServiceStub]
    portfolio: GrpcBackend[portfolio_service_pb2_grpc.PortfolioServiceStub]
    ml: GrpcBackend[ml_service_pb2_grpc.MLServiceStub]

    @classmethod
    def open(cls, infra: InfraSettings, *, timeout_seconds: float) -> Backends:
        """Open a channel to each service (channels connect lazily, on the first call)."""
        return cls(
            marketdata=_open(
                "marketdata",
                infra.marketdata_addr,
                market_data_service_pb2_grpc.MarketDataServiceStub,
                _service_name(market_data_service_pb2, "MarketDataService"),
                timeout_seconds,
            ),
            strategy=_open(
                "strategy",
                infra.strategy_addr,
                strategy_service_pb2_grpc.StrategyServiceStub,
                _service_name(strategy_service_pb2, "StrategyService"),
                timeout_seconds,
            ),
            risk=_open(
                "risk",
                infra.risk_addr,
                risk_service_pb2_grpc.RiskServiceStub,
                _service_name(risk_service_pb2, "RiskService"),
                timeout_seconds,
            ),
            execution=_open(
                "execution",
                infra.execution_addr,
                execution_service_pb2_grpc.ExecutionServiceStub,
                _service_name(execution_service_pb2, "ExecutionService"),
                timeout_seconds,
            ),
            portfolio=_open(
                "portfolio",
                infra.portfolio_addr,
                portfolio_service_pb2_grpc.PortfolioServiceStub,
                _service_name(portfolio_service_pb2, "PortfolioService"),
                timeout_seconds,
            ),
            ml=_open(
                "ml",
                infra.ml_addr,
                ml_service_pb2_grpc.MLServiceStub,
                _service_name(ml_service_pb2, "MLService"),
                timeout_seconds,
            ),
        )

    def all(self) -> list[GrpcBackend[Any]]:
        """Every backend, in a fixed order."""
        return [self.marketdata, self.strategy, self.risk, self.execution, self.portfolio, self.ml]

    async def health(self, timeout_seconds: float) -> dict[str, ServiceHealth]:
        """Check every backend at once."""
        backends = self.all()
        states = await asyncio.gather(*(b.health(timeout_seconds) for b in backends))
        return {backend.name: state for backend, state in zip(backends, states, strict=True)}

    async def close(self) -> None:
        """Close every channel."""
        await asyncio.gather(*(backend.channel.close() for backend in self.all()))
