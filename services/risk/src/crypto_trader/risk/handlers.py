"""Use cases of the risk service: decide on a signal once, and (re)publish that decision."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from crypto_trader.common.clock import Clock
from crypto_trader.risk.domain.decision import DecisionRecord
from crypto_trader.risk.domain.limits import RiskLimits, assess_signal, needs_position
from crypto_trader.risk.domain.signal import TradeSignal
from crypto_trader.risk.ports import DecisionPublisher, DecisionRepository, PositionReader

log = logging.getLogger(__name__)


async def decide(
    signal: TradeSignal,
    *,
    positions: PositionReader,
    decisions: DecisionRepository,
    publisher: DecisionPublisher,
    limits: RiskLimits,
    clock: Clock,
) -> DecisionRecord:
    """Size and check a signal, store the decision once, and publish it.

    A signal seen before (a redelivery, or a replay after a restart) gets its stored decision
    published again unchanged, with the same event id, whatever the position is now.
    """
    record = await asyncio.to_thread(decisions.get, signal.signal_id)
    if record is None:
        position = Decimal(0)
        if needs_position(signal.action):
            position = await positions.position_quantity(
                signal.account, signal.exchange, signal.symbol
            )
        decision = assess_signal(signal.action, signal.reference_price, position, limits)
        record = await asyncio.to_thread(
            decisions.add, DecisionRecord.of(signal, decision, now_ms=clock.now_ms())
        )
        log.info(
            "signal %s %s: %s",
            signal.signal_id,
            signal.action.value,
            "approved" if record.approved else f"rejected ({record.reason})",
        )
    await publisher.publish(record)
    return record
