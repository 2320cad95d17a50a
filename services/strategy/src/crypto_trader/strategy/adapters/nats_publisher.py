"""Publish signals as ``strategy.v1.SignalGenerated`` on JetStream, deduplicated by signal id."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.metrics import EVENTS_PUBLISHED
from crypto_trader.common.model import decimal_str
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.strategy.domain.framework import SignalAction
from crypto_trader.strategy.domain.instance import Signal

_ACTIONS = {
    SignalAction.ENTER_LONG: signals_pb2.SIGNAL_ACTION_ENTER_LONG,
    SignalAction.EXIT_LONG: signals_pb2.SIGNAL_ACTION_EXIT_LONG,
    SignalAction.ENTER_SHORT: signals_pb2.SIGNAL_ACTION_ENTER_SHORT,
    SignalAction.EXIT_SHORT: signals_pb2.SIGNAL_ACTION_EXIT_SHORT,
}


def signal_to_proto(signal: Signal) -> signals_pb2.SignalGenerated:
    """Encode a signal with its exit hints (prices; empty when not set)."""
    hints = signal.hints
    return signals_pb2.SignalGenerated(
        event_id=signal.signal_id,
        ts_event=signal.ts_event,
        ts_init=signal.ts_init,
        instance_id=signal.instance_id,
        strategy=signal.strategy,
        account=signal.account,
        exchange=signal.exchange,
        symbol=signal.symbol,
        timeframe=signal.timeframe,
        action=_ACTIONS[signal.action],
        reference_price=decimal_str(signal.reference_price),
        candle_open_time_ms=signal.candle_open_time_ms,
        stop_loss=_optional(hints.stop_loss),
        take_profit=_optional(hints.take_profit),
        trailing_stop=_optional(hints.trailing_stop),
    )


def _optional(value: Decimal | None) -> str:
    return "" if value is None else decimal_str(value)


class NatsSignalPublisher:
    """Send signals to the signal stream with ``Nats-Msg-Id`` = signal id."""

    def __init__(self, bus: NatsBus, *, root: str) -> None:
        self._bus = bus
        self._root = root

    async def publish(self, signal: Signal) -> None:
        subject = subjects.signals(self._root, signal.account)
        await self._bus.publish_durable(subject, signal_to_proto(signal), msg_id=signal.signal_id)
        EVENTS_PUBLISHED.labels(service="strategy", kind="signal").inc()
