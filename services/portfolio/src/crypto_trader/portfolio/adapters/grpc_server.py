"""gRPC ``PortfolioService``: positions, balances, equity and the journal of an account."""

from __future__ import annotations

import grpc

from crypto_trader.common.model import decimal_str
from crypto_trader.common.rpc import maps_errors
from crypto_trader.contracts.portfolio.v1 import (
    portfolio_pb2,
    portfolio_service_pb2,
    portfolio_service_pb2_grpc,
)
from crypto_trader.portfolio import handlers
from crypto_trader.portfolio.adapters.codec import (
    entry_to_proto,
    equity_to_proto,
    position_to_proto,
)
from crypto_trader.portfolio.ports import Ledger, PriceBook


class PortfolioServicer(portfolio_service_pb2_grpc.PortfolioServiceServicer):
    """Answer portfolio queries; an empty account means the service's own account."""

    def __init__(
        self, *, ledger: Ledger, prices: PriceBook, default_account: str, quote_currency: str
    ) -> None:
        self._ledger = ledger
        self._prices = prices
        self._default_account = default_account
        self._quote_currency = quote_currency

    def _account(self, requested: str) -> str:
        return requested or self._default_account

    @maps_errors
    async def GetPositions(
        self,
        request: portfolio_service_pb2.GetPositionsRequest,
        _context: grpc.aio.ServicerContext,
    ) -> portfolio_service_pb2.GetPositionsResponse:
        values = await handlers.position_values(
            self._account(request.account), ledger=self._ledger, prices=self._prices
        )
        return portfolio_service_pb2.GetPositionsResponse(
            positions=[position_to_proto(value) for value in values]
        )

    @maps_errors
    async def GetBalances(
        self,
        request: portfolio_service_pb2.GetBalancesRequest,
        _context: grpc.aio.ServicerContext,
    ) -> portfolio_service_pb2.GetBalancesResponse:
        account = self._account(request.account)
        balances = await handlers.account_balances(account, ledger=self._ledger)
        return portfolio_service_pb2.GetBalancesResponse(
            balances=[
                portfolio_pb2.Balance(account=account, asset=asset, total=decimal_str(total))
                for asset, total in sorted(balances.items())
            ]
        )

    @maps_errors
    async def GetEquity(
        self,
        request: portfolio_service_pb2.GetEquityRequest,
        _context: grpc.aio.ServicerContext,
    ) -> portfolio_service_pb2.GetEquityResponse:
        snapshot = await handlers.account_equity(
            self._account(request.account),
            quote_currency=self._quote_currency,
            ledger=self._ledger,
            prices=self._prices,
        )
        return portfolio_service_pb2.GetEquityResponse(equity=equity_to_proto(snapshot))

    @maps_errors
    async def ListJournal(
        self,
        request: portfolio_service_pb2.ListJournalRequest,
        _context: grpc.aio.ServicerContext,
    ) -> portfolio_service_pb2.ListJournalResponse:
        entries = await handlers.journal_entries(
            self._account(request.account),
            kind=request.kind,
            limit=request.limit,
            ledger=self._ledger,
        )
        return portfolio_service_pb2.ListJournalResponse(
            entries=[entry_to_proto(entry) for entry in entries]
        )
