"""Deciding on signals: contract ids, one decision per signal, the same decision republished."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Side
from crypto_trader.risk.domain.decision import DecisionRecord
from crypto_trader.risk.domain.limits import RiskLimits
from crypto_trader.risk.domain.signal import SignalAction, TradeSignal
from crypto_trader.risk.handlers import decide
from crypto_trader.risk.testing import (
    FakePositionReader,
    InMemoryDecisionRepository,
    RecordingDecisionPublisher,
    make_signal,
)

LIMITS = RiskLimits(Decimal(1000), Decimal("0.00001"), Decimal(2500))
MARKET = ("paper", "binance", "BTC/USDT")


class Harness:
    def __init__(self, position: str = "0") -> None:
        self.positions = FakePositionReader({MARKET: Decimal(position)})
        self.decisions = InMemoryDecisionRepository()
        self.publisher = RecordingDecisionPublisher()
        self.clock = FakeClock(1_700_000_000_000)

    async def decide(self, signal: TradeSignal) -> DecisionRecord:
        return await decide(
            signal,
            positions=self.positions,
            decisions=self.decisions,
            publisher=self.publisher,
            limits=LIMITS,
            clock=self.clock,
        )


class TestDecide:
    async def test_approves_an_entry_with_contract_ids(self) -> None:
        harness = Harness()
        signal = make_signal(SignalAction.ENTER_LONG, price="19600")

        record = await harness.decide(signal)

        assert record.approved
        assert (record.side, record.quantity) == (Side.BUY, Decimal("0.05102"))
        assert record.intent_id == stable_id("intent", signal.signal_id)
        assert record.event_id == record.intent_id
        assert record.client_order_id == "ct-" + stable_id("order", signal.signal_id)[:24]
        assert record.not_before_ms == signal.candle_open_time_ms
        assert record.timeframe == "5m"
        assert record.ts_event == harness.clock.now_ms()
        assert harness.publisher.published == [record]
        assert harness.positions.asked == [MARKET]

    async def test_rejects_an_entry_over_the_position_limit(self) -> None:
        harness = Harness(position="0.1")

        record = await harness.decide(make_signal(SignalAction.ENTER_LONG, price="20000"))

        assert not record.approved
        assert record.reason.startswith("max_position_notional exceeded")
        assert record.event_id == stable_id("rejection", record.signal_id)
        assert record.intent_id is None and record.client_order_id is None
        assert harness.publisher.published == [record]

    async def test_exit_sells_the_position_portfolio_reports(self) -> None:
        harness = Harness(position="0.05102")

        record = await harness.decide(make_signal(SignalAction.EXIT_LONG))

        assert (record.approved, record.side, record.quantity) == (
            True,
            Side.SELL,
            Decimal("0.05102"),
        )

    async def test_exit_when_flat_is_rejected_as_no_position_to_close(self) -> None:
        harness = Harness()

        record = await harness.decide(make_signal(SignalAction.EXIT_LONG))

        assert (record.approved, record.reason) == (False, "no position to close")

    async def test_a_signal_seen_again_gets_the_same_decision_whatever_the_position_now(
        self,
    ) -> None:
        harness = Harness()
        signal = make_signal(SignalAction.ENTER_LONG)
        first = await harness.decide(signal)
        harness.positions.positions[MARKET] = Decimal(5)  # the fill was booked meanwhile
        harness.clock.advance(60_000)

        again = await harness.decide(signal)

        assert again == first
        assert harness.publisher.published == [first, first]
        assert harness.positions.asked == [MARKET]
        assert harness.decisions.counts("paper") == (1, 0)

    async def test_a_failed_publish_is_retried_with_the_stored_decision(self) -> None:
        harness = Harness()
        signal = make_signal(SignalAction.ENTER_LONG)
        harness.publisher.failures_left = 1

        with pytest.raises(RetryableError):
            await harness.decide(signal)
        harness.clock.advance(1000)
        record = await harness.decide(signal)

        assert harness.publisher.published == [record]
        assert record.ts_event == 1_700_000_000_000

    async def test_portfolio_unavailable_decides_nothing_and_is_retryable(self) -> None:
        harness = Harness()
        harness.positions.unavailable = True

        with pytest.raises(RetryableError):
            await harness.decide(make_signal(SignalAction.ENTER_LONG))

        assert harness.decisions.records == {}
        assert harness.publisher.published == []

    async def test_short_entries_are_rejected_when_shorting_is_off_without_asking(self) -> None:
        harness = Harness()

        record = await harness.decide(make_signal(SignalAction.ENTER_SHORT))

        assert not record.approved
        assert record.reason == "shorting disabled for binance:BTC/USDT"
        assert harness.positions.asked == []
