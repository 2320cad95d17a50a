"""FastAPI dependencies: what the lifespan put on ``app.state``, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from crypto_trader.common.bus import NatsBus
from crypto_trader.contracts.execution.v1.execution_service_pb2_grpc import ExecutionServiceStub
from crypto_trader.contracts.marketdata.v1.market_data_service_pb2_grpc import (
    MarketDataServiceStub,
)
from crypto_trader.contracts.portfolio.v1.portfolio_service_pb2_grpc import PortfolioServiceStub
from crypto_trader.contracts.strategy.v1.strategy_service_pb2_grpc import StrategyServiceStub
from crypto_trader.gateway.adapters.grpc_clients import Backends, GrpcBackend
from crypto_trader.gateway.settings import GatewaySettings
from crypto_trader.gateway.ws import Hub


def _settings(connection: HTTPConnection) -> GatewaySettings:
    settings: GatewaySettings = connection.app.state.settings
    return settings


def _bus(connection: HTTPConnection) -> NatsBus:
    bus: NatsBus = connection.app.state.bus
    return bus


def _hub(connection: HTTPConnection) -> Hub:
    hub: Hub = connection.app.state.hub
    return hub


def _backends(connection: HTTPConnection) -> Backends:
    backends: Backends = connection.app.state.backends
    return backends


SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
BusDep = Annotated[NatsBus, Depends(_bus)]
HubDep = Annotated[Hub, Depends(_hub)]
BackendsDep = Annotated[Backends, Depends(_backends)]


def _marketdata(backends: BackendsDep) -> GrpcBackend[MarketDataServiceStub]:
    return backends.marketdata


def _strategy(backends: BackendsDep) -> GrpcBackend[StrategyServiceStub]:
    return backends.strategy


def _execution(backends: BackendsDep) -> GrpcBackend[ExecutionServiceStub]:
    return backends.execution


def _portfolio(backends: BackendsDep) -> GrpcBackend[PortfolioServiceStub]:
    return backends.portfolio


MarketDataClientDep = Annotated[GrpcBackend[MarketDataServiceStub], Depends(_marketdata)]
StrategyClientDep = Annotated[GrpcBackend[StrategyServiceStub], Depends(_strategy)]
ExecutionClientDep = Annotated[GrpcBackend[ExecutionServiceStub], Depends(_execution)]
PortfolioClientDep = Annotated[GrpcBackend[PortfolioServiceStub], Depends(_portfolio)]
