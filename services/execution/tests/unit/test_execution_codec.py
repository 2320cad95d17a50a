"""Execution's proto mapping: intents are checked on the way in, events survive the outbox."""

from decimal import Decimal

import pytest

from crypto_trader.common.errors import InvalidMessage
from crypto_trader.common.model import Side
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2 as risk_orders_pb2
from crypto_trader.execution.adapters import codec
from crypto_trader.execution.domain.events import order_filled, order_updated
from crypto_trader.execution.domain.order import Fill, OrderType, TradingMode
from crypto_trader.execution.testing import new_order


def intent(**changes: object) -> risk_orders_pb2.OrderIntentApproved:
    fields: dict[str, object] = {
        "event_id": "e1",
        "intent_id": "i1",
        "client_order_id": "ct-abc",
        "account": "paper",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "side": common_pb2.SIDE_SELL,
        "order_type": risk_orders_pb2.ORDER_TYPE_MARKET,
        "quantity": "0.12345",
        "not_before_ms": 42,
        "mode": common_pb2.TRADING_MODE_PAPER,
        "timeframe": "5m",
    }
    fields.update(changes)
    return risk_orders_pb2.OrderIntentApproved(**fields)  # type: ignore[arg-type]


class TestIntentFromProto:
    def test_decodes_a_valid_intent(self) -> None:
        command = codec.intent_from_proto(intent())

        assert command.client_order_id == "ct-abc"
        assert command.side is Side.SELL
        assert command.order_type is OrderType.MARKET
        assert command.mode is TradingMode.PAPER
        assert command.quantity == Decimal("0.12345")
        assert (command.timeframe, command.not_before_ms) == ("5m", 42)

    @pytest.mark.parametrize(
        "broken",
        [
            {"client_order_id": ""},
            {"account": ""},
            {"quantity": "abc"},
            {"quantity": "0"},
            {"quantity": "-1"},
            {"side": common_pb2.SIDE_UNSPECIFIED},
            {"order_type": risk_orders_pb2.ORDER_TYPE_UNSPECIFIED},
            {"mode": common_pb2.TRADING_MODE_UNSPECIFIED},
            {"symbol": "btcusdt"},
            {"timeframe": ""},
            {"exchange": "bin.ance"},
        ],
    )
    def test_refuses_an_intent_that_breaks_the_contract(self, broken: dict[str, object]) -> None:
        with pytest.raises(InvalidMessage):
            codec.intent_from_proto(intent(**broken))


class TestOutbox:
    def test_a_fill_event_round_trips_through_the_outbox(self) -> None:
        order = new_order(quantity=Decimal("0.5")).accept(venue_order_id="paper-1", ts_ms=1)
        fill = Fill(
            trade_id="paper-ct-order-1-1",
            client_order_id=order.client_order_id,
            quantity=Decimal("0.5"),
            price=Decimal("101.5"),
            fee=Decimal("0.05075"),
            fee_currency="USDT",
            ts_ms=300_000,
        )
        filled = order.apply_fill(fill, ts_ms=2)

        message = codec.from_outbox(codec.to_outbox(order_filled(filled, fill, ts_init=3)))

        assert isinstance(message, orders_pb2.OrderFilled)
        assert (message.quantity, message.price, message.fee) == ("0.5", "101.5", "0.05075")
        assert message.trade_id == "paper-ct-order-1-1"
        assert (message.exchange, message.account, message.symbol) == (
            "binance",
            "paper",
            "BTC/USDT",
        )
        assert message.mode == common_pb2.TRADING_MODE_PAPER
        assert (message.ts_event, message.ts_init) == (300_000, 3)

    def test_an_order_update_carries_the_order_state(self) -> None:
        order = new_order().accept(venue_order_id="paper-1", ts_ms=9)

        message = codec.from_outbox(codec.to_outbox(order_updated(order, ts_init=10)))

        assert isinstance(message, orders_pb2.OrderUpdated)
        assert message.order.status == orders_pb2.ORDER_STATUS_ACCEPTED
        assert message.order.average_price == ""
        assert message.order.filled_quantity == "0"
        assert message.order.order_type == "market"
