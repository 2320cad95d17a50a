"""gRPC ``RiskService``: the limits in force and how many signals were approved or rejected."""

from __future__ import annotations

import asyncio

import grpc

from crypto_trader.common.model import decimal_str
from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.risk.v1 import risk_service_pb2, risk_service_pb2_grpc
from crypto_trader.risk.domain.limits import RiskLimits
from crypto_trader.risk.ports import DecisionRepository


class RiskServicer(risk_service_pb2_grpc.RiskServiceServicer):
    """Answer questions about limits and decisions; an empty account means the service's own."""

    def __init__(self, limits: RiskLimits, decisions: DecisionRepository, *, account: str) -> None:
        self._limits = limits
        self._decisions = decisions
        self._account = account

    @maps_errors
    async def GetLimits(
        self, request: risk_service_pb2.GetLimitsRequest, _context: grpc.aio.ServicerContext
    ) -> risk_service_pb2.GetLimitsResponse:
        return risk_service_pb2.GetLimitsResponse(
            limits=risk_service_pb2.RiskLimits(
                account=request.account or self._account,
                max_position_notional=decimal_str(self._limits.max_position_notional),
                order_notional=decimal_str(self._limits.order_notional),
            )
        )

    @maps_errors
    async def GetDecisions(
        self, request: risk_service_pb2.GetDecisionsRequest, _context: grpc.aio.ServicerContext
    ) -> risk_service_pb2.GetDecisionsResponse:
        approved, rejected = await asyncio.to_thread(
            self._decisions.counts, request.account or self._account
        )
        return risk_service_pb2.GetDecisionsResponse(approved=approved, rejected=rejected)
