"""Mapping between the portfolio's domain objects and its proto messages (decimals as strings)."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.common import subjects
from crypto_trader.common.codec import (
    candle_from_proto,
    decimal_from_wire,
    optional_decimal_from_wire,
    side_from_proto,
)
from crypto_trader.common.errors import InvalidInput, InvalidMessage
from crypto_trader.common.model import Candle, decimal_str, quote_asset
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.portfolio.v1 import portfolio_pb2
from crypto_trader.portfolio.domain.fill import Fill
from crypto_trader.portfolio.domain.ledger import JournalEntry
from crypto_trader.portfolio.domain.valuation import EquitySnapshot, PositionValue


def fill_from_proto(message: orders_pb2.OrderFilled) -> Fill:
    """Decode and validate a fill; anything malformed raises InvalidMessage before any booking."""
    try:
        subjects.token(message.account)  # the account names the subjects its updates go to
        fee = optional_decimal_from_wire(message.fee, field="fee") or Decimal(0)
        fill = Fill(
            exchange=message.exchange,
            account=message.account,
            symbol=message.symbol,
            side=side_from_proto(message.side),
            quantity=decimal_from_wire(message.quantity, field="quantity"),
            price=decimal_from_wire(message.price, field="price"),
            fee=fee,
            trade_id=message.trade_id,
            ts_ms=message.ts_event,
            client_order_id=message.client_order_id,
        )
        # Fees in another asset (BNB, or the base on some venues) would need their own valuation.
        if fee and message.fee_currency not in ("", quote_asset(message.symbol)):
            raise InvalidMessage(
                f"fill {message.trade_id}: fee in {message.fee_currency}; "
                "only fees in the quote currency are supported"
            )
    except InvalidMessage:
        raise
    except InvalidInput as error:
        raise InvalidMessage(str(error)) from None
    return fill


def candle_from_event(message: market_data_pb2.CandleClosed) -> Candle:
    """Decode the candle of a CandleClosed event."""
    if not message.HasField("candle"):
        raise InvalidMessage(f"CandleClosed {message.event_id} without a candle")
    return candle_from_proto(message.candle)


def _optional(value: Decimal | None) -> str:
    return "" if value is None else decimal_str(value)


def position_to_proto(value: PositionValue) -> portfolio_pb2.Position:
    """Encode a marked position; ``last_price`` is empty when the market has no price yet."""
    position = value.position
    return portfolio_pb2.Position(
        account=position.account,
        exchange=position.exchange,
        symbol=position.symbol,
        quantity=decimal_str(position.quantity),
        average_price=decimal_str(position.average_price),
        last_price=_optional(value.last_price),
        market_value=decimal_str(value.market_value),
        unrealised_pnl=decimal_str(value.unrealised_pnl),
        realised_pnl=decimal_str(position.realised_pnl),
    )


def equity_to_proto(snapshot: EquitySnapshot) -> portfolio_pb2.Equity:
    """Encode an equity snapshot."""
    return portfolio_pb2.Equity(
        account=snapshot.account,
        currency=snapshot.currency,
        cash=decimal_str(snapshot.cash),
        positions_value=decimal_str(snapshot.positions_value),
        equity=decimal_str(snapshot.equity),
        realised_pnl=decimal_str(snapshot.realised_pnl),
        unrealised_pnl=decimal_str(snapshot.unrealised_pnl),
        fees_paid=decimal_str(snapshot.fees_paid),
        fills_booked=snapshot.fills_booked,
    )


def entry_to_proto(entry: JournalEntry) -> portfolio_pb2.JournalEntry:
    """Encode a journal entry; ``source_id`` carries the entry's source key."""
    return portfolio_pb2.JournalEntry(
        entry_id=entry.entry_id,
        account=entry.account,
        kind=entry.kind.value,
        source_id=entry.source_key,
        ts_ms=entry.ts_ms,
        postings=[
            portfolio_pb2.Posting(
                ledger_account=p.ledger_account, asset=p.asset, amount=decimal_str(p.amount)
            )
            for p in entry.postings
        ],
    )
