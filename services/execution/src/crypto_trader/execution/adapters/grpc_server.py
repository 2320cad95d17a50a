"""gRPC ``ExecutionService``: the orders and fills of an account."""

from __future__ import annotations

import grpc

from crypto_trader.common.errors import InvalidInput, NotFound
from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.execution.v1 import execution_service_pb2, execution_service_pb2_grpc
from crypto_trader.execution.adapters import codec
from crypto_trader.execution.adapters.repository import SqlAlchemyOrderStore

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def page_size(limit: int) -> int:
    """Return how many rows to answer with: 0 means the default, the maximum caps the rest."""
    if limit < 0:
        raise InvalidInput(f"limit must not be negative, got {limit}")
    return min(limit or DEFAULT_LIMIT, MAX_LIMIT)


class ExecutionServicer(execution_service_pb2_grpc.ExecutionServiceServicer):
    """Answer order and fill queries from the store."""

    def __init__(self, store: SqlAlchemyOrderStore, *, default_account: str) -> None:
        self._store = store
        self._default_account = default_account

    @maps_errors
    async def ListOrders(
        self, request: execution_service_pb2.ListOrdersRequest, _context: grpc.aio.ServicerContext
    ) -> execution_service_pb2.ListOrdersResponse:
        orders = await self._store.list_orders(
            request.account or self._default_account, page_size(request.limit)
        )
        return execution_service_pb2.ListOrdersResponse(
            orders=[codec.order_to_proto(order) for order in orders]
        )

    @maps_errors
    async def GetOrder(
        self, request: execution_service_pb2.GetOrderRequest, _context: grpc.aio.ServicerContext
    ) -> execution_service_pb2.GetOrderResponse:
        if not request.client_order_id:
            raise InvalidInput("client_order_id is required")
        order = await self._store.get(request.client_order_id)
        if order is None:
            raise NotFound(f"no order with client order id {request.client_order_id!r}")
        return execution_service_pb2.GetOrderResponse(order=codec.order_to_proto(order))

    @maps_errors
    async def ListFills(
        self, request: execution_service_pb2.ListFillsRequest, _context: grpc.aio.ServicerContext
    ) -> execution_service_pb2.ListFillsResponse:
        fills = await self._store.list_fills(
            request.account or self._default_account, page_size(request.limit)
        )
        return execution_service_pb2.ListFillsResponse(fills=fills)
