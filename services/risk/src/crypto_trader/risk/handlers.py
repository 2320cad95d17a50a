"""Use cases of the risk service: decide on a signal once and (re)publish it; follow orders."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal

from crypto_trader.common.clock import Clock
from crypto_trader.risk.domain.decision import DecisionRecord
from crypto_trader.risk.domain.exposure import ExposureChange, OrderOutcome, exposure_change
from crypto_trader.risk.domain.limits import RiskLimits, assess_signal, needs_position
from crypto_trader.risk.domain.signal import TradeSignal
from crypto_trader.risk.ports import (
    DecisionPublisher,
    DecisionRepository,
    ExposureRepository,
    PositionReader,
)

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
        if needs_position(signal.action, limits):
            position = await positions.position_quantity(
                signal.account, signal.exchange, signal.symbol
            )
        decision = assess_signal(
            signal.action,
            signal.reference_price,
            position,
            limits,
            market=signal.market,
            hints=signal.hints,
        )
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


async def record_order_outcome(
    outcome: OrderOutcome,
    *,
    decisions: DecisionRepository,
    exposure: ExposureRepository,
    clock: Clock,
) -> ExposureChange | None:
    """Correct the exposure for a terminal order, once per order; return the change recorded now.

    A redelivered outcome finds its change stored already and changes nothing.
    """
    approved = await asyncio.to_thread(decisions.get_by_order, outcome.client_order_id)
    change = exposure_change(outcome, approved_by_risk=approved is not None, now_ms=clock.now_ms())
    if change is None:
        return None
    if not await asyncio.to_thread(exposure.add_change, change):
        log.info("order %s: exposure already corrected", outcome.client_order_id)
        return None
    log.info(
        "order %s %s: exposure of %s %s changed by %s (%s)",
        outcome.client_order_id,
        outcome.end.value,
        change.exchange,
        change.symbol,
        change.quantity,
        change.reason,
    )
    return change
