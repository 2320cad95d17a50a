"""Proto -> JSON shapes: decimals as strings, enums as words, empty optional decimals as null."""

from __future__ import annotations

from typing import get_args

import pytest

from crypto_trader.common.errors import InvalidMessage
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.gateway import testing
from crypto_trader.gateway.api import schemas


class TestEnumWords:
    @pytest.mark.parametrize(
        ("enum", "words"),
        [
            (common_pb2.Side, schemas.SideWord),
            (common_pb2.TradingMode, schemas.ModeWord),
            (orders_pb2.OrderStatus, schemas.OrderStatusWord),
            (signals_pb2.SignalAction, schemas.SignalActionWord),
        ],
    )
    def test_every_proto_value_has_a_word_in_the_api_schema(self, enum, words) -> None:
        mapped = {schemas.enum_word(enum, value) for value in enum.values()}

        assert mapped == set(get_args(words))

    def test_value_unknown_to_this_build_reads_unspecified(self) -> None:
        assert schemas.enum_word(orders_pb2.OrderStatus, 99) == "unspecified"


class TestOrder:
    def test_maps_enums_to_words_and_keeps_decimals_as_strings(self) -> None:
        order = testing.an_order(quantity="0.02699000", average_price="37000.10")

        data = schemas.order_from_proto(order).model_dump(mode="json")

        assert data == {
            "client_order_id": "ct-abc",
            "venue_order_id": "paper-1",
            "account": "paper",
            "exchange": "binance",
            "symbol": "BTC/USDT",
            "side": "buy",
            "order_type": "market",
            "quantity": "0.02699",
            "filled_quantity": "0.02699",
            "average_price": "37000.1",
            "status": "filled",
            "created_ms": testing.OPEN_TIME_MS,
            "updated_ms": testing.OPEN_TIME_MS + 300_000,
            "reason": "",
            "mode": "paper",
        }

    def test_unfilled_order_has_null_average_price(self) -> None:
        order = testing.an_order(average_price="", status=orders_pb2.ORDER_STATUS_ACCEPTED)

        data = schemas.order_from_proto(order).model_dump(mode="json")

        assert data["average_price"] is None
        assert data["status"] == "accepted"

    def test_malformed_decimal_is_an_invalid_message(self) -> None:
        with pytest.raises(InvalidMessage):
            schemas.order_from_proto(testing.an_order(quantity="lots"))


class TestDecimals:
    def test_large_and_tiny_values_never_use_exponent_notation(self) -> None:
        candle = testing.a_candle(volume="1E+3", close="37050.5", low="1E-2", open="37000")

        data = schemas.candle_from_proto(candle).model_dump(mode="json")

        assert data["volume"] == "1000"
        assert data["low"] == "0.01"

    def test_decimal_fields_are_strings_in_the_openapi_schema(self) -> None:
        json_schema = schemas.Fill.model_json_schema(mode="serialization")

        assert json_schema["properties"]["price"]["type"] == "string"


class TestOtherShapes:
    def test_fill_shape(self) -> None:
        data = schemas.fill_from_proto(testing.a_fill()).model_dump(mode="json")

        assert data == {
            "trade_id": "paper-ct-abc-1",
            "client_order_id": "ct-abc",
            "account": "paper",
            "exchange": "binance",
            "symbol": "BTC/USDT",
            "side": "buy",
            "quantity": "0.02699",
            "price": "37000",
            "fee": "0.99863",
            "fee_currency": "USDT",
            "ts_event": testing.OPEN_TIME_MS + 300_000,
        }

    def test_equity_shape(self) -> None:
        data = schemas.equity_from_proto(testing.an_equity()).model_dump(mode="json")

        assert data == {
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

    def test_flat_position_without_prices_has_nulls(self) -> None:
        position = testing.a_position(
            quantity="0", average_price="", last_price="", market_value="", unrealised_pnl=""
        )

        data = schemas.position_from_proto(position).model_dump(mode="json")

        assert data["quantity"] == "0"
        assert data["average_price"] is None
        assert data["realised_pnl"] == "0"

    def test_signal_action_is_a_word(self) -> None:
        signal = signals_pb2.SignalGenerated(
            event_id="e1",
            instance_id="sma-1",
            action=signals_pb2.SIGNAL_ACTION_ENTER_LONG,
            reference_price="37050.50",
            candle_open_time_ms=testing.OPEN_TIME_MS,
        )

        data = schemas.signal_from_proto(signal).model_dump(mode="json")

        assert data["action"] == "enter_long"
        assert data["reference_price"] == "37050.5"
