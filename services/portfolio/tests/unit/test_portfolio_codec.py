"""Decoding fills and candles from the wire, and encoding portfolio messages."""

from decimal import Decimal

import pytest

from crypto_trader.common.errors import InvalidMessage
from crypto_trader.common.model import Side
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.portfolio.adapters.codec import (
    candle_from_event,
    entry_to_proto,
    equity_to_proto,
    fill_from_proto,
    position_to_proto,
)
from crypto_trader.portfolio.domain.ledger import fill_entry
from crypto_trader.portfolio.domain.position import Position
from crypto_trader.portfolio.domain.valuation import EquitySnapshot, PositionValue
from crypto_trader.portfolio.testing import make_fill


def order_filled(**overrides) -> orders_pb2.OrderFilled:
    fields = {
        "event_id": "e1",
        "ts_event": 10,
        "ts_init": 11,
        "trade_id": "paper-ct-abc-1",
        "client_order_id": "ct-abc",
        "account": "paper",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "side": common_pb2.SIDE_BUY,
        "quantity": "0.03333",
        "price": "30000.5",
        "fee": "0.99951665",
        "fee_currency": "USDT",
        "mode": common_pb2.TRADING_MODE_PAPER,
    }
    fields.update(overrides)
    return orders_pb2.OrderFilled(**fields)


class TestFillFromProto:
    def test_decodes_exact_decimals(self) -> None:
        fill = fill_from_proto(order_filled())

        assert fill.side is Side.BUY
        assert fill.quantity == Decimal("0.03333")
        assert fill.price == Decimal("30000.5")
        assert fill.fee == Decimal("0.99951665")
        assert fill.ts_ms == 10
        assert fill.source_key == "fill:binance:paper:paper-ct-abc-1"

    def test_an_empty_fee_is_zero(self) -> None:
        assert fill_from_proto(order_filled(fee="", fee_currency="")).fee == 0

    @pytest.mark.parametrize(
        "overrides",
        [
            {"quantity": "abc"},
            {"price": "NaN"},
            {"price": "0"},
            {"quantity": "-1"},
            {"fee": "1e400"},
            {"side": common_pb2.SIDE_UNSPECIFIED},
            {"trade_id": ""},
            {"symbol": "BTCUSDT"},
            {"account": "pa.per"},
            {"fee_currency": "BNB"},
            {"quantity": "0.0000000000000000001"},
        ],
    )
    def test_refuses_a_malformed_fill(self, overrides) -> None:
        with pytest.raises(InvalidMessage):
            fill_from_proto(order_filled(**overrides))


def test_refuses_a_candle_event_without_a_candle() -> None:
    with pytest.raises(InvalidMessage):
        candle_from_event(market_data_pb2.CandleClosed(event_id="x"))


def test_encodes_decimals_as_plain_strings() -> None:
    position = Position("paper", "binance", "BTC/USDT").apply(
        make_fill(quantity="0.10000", price="30000.00", fee="3.000")
    )

    message = position_to_proto(PositionValue(position, Decimal("3.1E+4")))
    unpriced = position_to_proto(PositionValue(position, None))
    equity = equity_to_proto(
        EquitySnapshot("paper", "USDT", Decimal("6997.000"), Decimal("3100"), 0, 0, 0, 1)
    )
    entry = entry_to_proto(fill_entry(make_fill()))

    assert (message.quantity, message.average_price) == ("0.1", "30000")
    assert (message.last_price, message.market_value, message.unrealised_pnl) == (
        "31000",
        "3100",
        "100",
    )
    assert (unpriced.last_price, unpriced.market_value) == ("", "3000")
    assert (equity.cash, equity.equity, equity.fills_booked) == ("6997", "10097", 1)
    assert entry.source_id == "fill:binance:paper:t-1"
    assert sum(Decimal(p.amount) for p in entry.postings if p.asset == "USDT") == 0
