"""gRPC ``MLService``: the model registry and autopilot status (no model is trained yet)."""

from __future__ import annotations

import grpc

from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.ml.v1 import ml_service_pb2, ml_service_pb2_grpc


class MlServicer(ml_service_pb2_grpc.MLServiceServicer):
    """Answer model-registry and autopilot queries."""

    @maps_errors
    async def ListModels(
        self, request: ml_service_pb2.ListModelsRequest, context: grpc.aio.ServicerContext
    ) -> ml_service_pb2.ListModelsResponse:
        return ml_service_pb2.ListModelsResponse()

    @maps_errors
    async def GetAutopilotStatus(
        self, request: ml_service_pb2.GetAutopilotStatusRequest, context: grpc.aio.ServicerContext
    ) -> ml_service_pb2.GetAutopilotStatusResponse:
        return ml_service_pb2.GetAutopilotStatusResponse(account=request.account, running=False)
