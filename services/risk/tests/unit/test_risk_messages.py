"""Risk's wire mapping: signals in, order intents and rejections out, as the contract says."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from crypto_trader.common.errors import InvalidMessage
from crypto_trader.common.model import Side
from crypto_trader.common.settings import DEFAULT_GRPC_PORTS
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.risk.adapters.nats_consumer import signal_from_proto
from crypto_trader.risk.adapters.nats_publisher import approved_to_proto, rejected_to_proto
from crypto_trader.risk.domain.decision import Decision, DecisionRecord
from crypto_trader.risk.domain.signal import SignalAction
from crypto_trader.risk.settings import RiskSettings
from crypto_trader.risk.testing import make_signal


def _signal_message(**overrides: object) -> signals_pb2.SignalGenerated:
    fields: dict[str, object] = {
        "event_id": "s1",
        "ts_event": 1,
        "ts_init": 1,
        "instance_id": "i1",
        "strategy": "sma_cross",
        "account": "paper",
        "exchange": "binance",
        "symbol": "BTC/USDT",
        "timeframe": "5m",
        "action": signals_pb2.SIGNAL_ACTION_ENTER_LONG,
        "reference_price": "19607.03",
        "candle_open_time_ms": 1_606_780_800_000,
    }
    fields.update(overrides)
    return signals_pb2.SignalGenerated(**fields)  # type: ignore[arg-type]


class TestSignalFromProto:
    def test_decodes_a_contract_signal(self) -> None:
        signal = signal_from_proto(_signal_message())

        assert signal.signal_id == "s1"
        assert signal.action is SignalAction.ENTER_LONG
        assert signal.reference_price == Decimal("19607.03")
        assert signal.candle_open_time_ms == 1_606_780_800_000

    @pytest.mark.parametrize(
        "overrides",
        [
            {"event_id": ""},
            {"action": signals_pb2.SIGNAL_ACTION_UNSPECIFIED},
            {"reference_price": "abc"},
            {"reference_price": "0"},
            {"reference_price": ""},
            {"symbol": "BTCUSDT"},
            {"exchange": ""},
        ],
    )
    def test_refuses_signals_that_break_the_contract(self, overrides: dict[str, object]) -> None:
        with pytest.raises(InvalidMessage):
            signal_from_proto(_signal_message(**overrides))


class TestDecisionToProto:
    def test_approved_intent_is_a_paper_market_order_with_the_signal_timing(self) -> None:
        signal = make_signal(SignalAction.ENTER_LONG, price="19600.50")
        record = DecisionRecord.of(signal, Decision.approve(Side.BUY, Decimal("0.05102")), now_ms=5)

        message = approved_to_proto(record)

        assert message.event_id == message.intent_id == record.intent_id
        assert message.client_order_id == record.client_order_id
        assert message.side == common_pb2.SIDE_BUY
        assert message.order_type == orders_pb2.ORDER_TYPE_MARKET
        assert message.mode == common_pb2.TRADING_MODE_PAPER
        assert (message.quantity, message.reference_price) == ("0.05102", "19600.5")
        assert message.not_before_ms == signal.candle_open_time_ms
        assert (message.timeframe, message.signal_id) == ("5m", signal.signal_id)
        assert (message.ts_event, message.ts_init) == (5, 5)

    def test_rejection_carries_the_reason(self) -> None:
        signal = make_signal(SignalAction.EXIT_LONG)
        record = DecisionRecord.of(signal, Decision.reject("no position to close"), now_ms=5)

        message = rejected_to_proto(record)

        assert (message.signal_id, message.reason, message.event_id) == (
            signal.signal_id,
            "no position to close",
            record.event_id,
        )


class TestRiskSettings:
    def test_defaults_are_the_contract_limits(self) -> None:
        settings = RiskSettings()

        assert settings.order_notional == Decimal(1000)
        assert settings.quantity_step == Decimal("0.00001")
        assert settings.max_position_notional == Decimal(2500)
        assert settings.grpc_port == DEFAULT_GRPC_PORTS["risk"]

    def test_reads_its_own_environment_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CT_RISK_ORDER_NOTIONAL", "250.5")
        monkeypatch.setenv("CT_RISK_MAX_POSITION_NOTIONAL", "1000")

        limits = RiskSettings().limits()

        assert (limits.order_notional, limits.max_position_notional) == (
            Decimal("250.5"),
            Decimal(1000),
        )

    @pytest.mark.parametrize(
        "fields",
        [
            {"order_notional": "0"},
            {"quantity_step": "-1"},
            {"max_position_notional": "NaN"},
            {"order_notional": 0.1},
        ],
    )
    def test_refuses_limits_that_cannot_work(self, fields: dict[str, object]) -> None:
        with pytest.raises(ValidationError):
            RiskSettings(**fields)
