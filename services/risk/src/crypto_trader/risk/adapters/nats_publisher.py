"""Publish decisions: approved order intents for execution, rejections as risk events."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.codec import side_to_proto
from crypto_trader.common.metrics import EVENTS_PUBLISHED
from crypto_trader.common.model import decimal_str
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2
from crypto_trader.risk.domain.decision import DecisionRecord


def approved_to_proto(record: DecisionRecord) -> orders_pb2.OrderIntentApproved:
    """Encode an approved decision as the order intent execution acts on."""
    if not record.approved or record.side is None or record.quantity is None:
        raise ValueError(f"decision on {record.signal_id} is not an approved order")
    return orders_pb2.OrderIntentApproved(
        event_id=record.event_id,
        ts_event=record.ts_event,
        ts_init=record.ts_init,
        intent_id=record.intent_id,
        client_order_id=record.client_order_id,
        account=record.account,
        exchange=record.exchange,
        symbol=record.symbol,
        side=side_to_proto(record.side),
        order_type=orders_pb2.ORDER_TYPE_MARKET,
        quantity=decimal_str(record.quantity),
        reference_price=decimal_str(record.reference_price),
        signal_id=record.signal_id,
        not_before_ms=record.not_before_ms,
        # Live trading is not wired yet: every intent is for the paper exchange.
        mode=common_pb2.TRADING_MODE_PAPER,
        timeframe=record.timeframe,
        stop_loss=_optional(record.hints.stop_loss),
        take_profit=_optional(record.hints.take_profit),
        trailing_stop=_optional(record.hints.trailing_stop),
        reduce_only=record.reduce_only,
    )


def _optional(value: Decimal | None) -> str:
    return "" if value is None else decimal_str(value)


def rejected_to_proto(record: DecisionRecord) -> orders_pb2.OrderIntentRejected:
    """Encode a rejected decision."""
    return orders_pb2.OrderIntentRejected(
        event_id=record.event_id,
        ts_event=record.ts_event,
        ts_init=record.ts_init,
        signal_id=record.signal_id,
        account=record.account,
        exchange=record.exchange,
        symbol=record.symbol,
        reason=record.reason,
    )


class NatsDecisionPublisher:
    """Send decisions to JetStream with ``Nats-Msg-Id`` = event id."""

    def __init__(self, bus: NatsBus, *, root: str) -> None:
        self._bus = bus
        self._root = root

    async def publish(self, record: DecisionRecord) -> None:
        if record.approved:
            subject = subjects.approved_orders(self._root, record.account)
            await self._bus.publish_durable(
                subject, approved_to_proto(record), msg_id=record.event_id
            )
            EVENTS_PUBLISHED.labels(service="risk", kind="order_intent_approved").inc()
        else:
            subject = subjects.risk_events(self._root, record.account)
            await self._bus.publish_durable(
                subject, rejected_to_proto(record), msg_id=record.event_id
            )
            EVENTS_PUBLISHED.labels(service="risk", kind="order_intent_rejected").inc()
