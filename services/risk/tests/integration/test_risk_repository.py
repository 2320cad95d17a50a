"""Risk decisions are stored once per signal, exactly, in SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from crypto_trader.common.database import make_engine
from crypto_trader.common.model import Side
from crypto_trader.risk.adapters.nats_publisher import approved_to_proto
from crypto_trader.risk.adapters.repository import (
    ApprovedPositionReader,
    SqlAlchemyDecisionRepository,
    migrate_risk_tables,
)
from crypto_trader.risk.domain.decision import Decision, DecisionRecord
from crypto_trader.risk.domain.signal import SignalAction
from crypto_trader.risk.testing import make_signal

pytestmark = pytest.mark.integration


class TestSqlAlchemyDecisionRepository:
    def test_a_stored_decision_republishes_byte_for_byte_after_a_restart(
        self, database_url: str
    ) -> None:
        engine = make_engine(database_url)
        migrate_risk_tables(engine)
        signal = make_signal(SignalAction.ENTER_LONG, price="19607.03")
        record = DecisionRecord.of(signal, Decision.approve(Side.BUY, Decimal("0.05100")), now_ms=7)
        SqlAlchemyDecisionRepository(engine).add(record)
        engine.dispose()

        reopened = make_engine(database_url)
        migrate_risk_tables(reopened)
        stored = SqlAlchemyDecisionRepository(reopened).get(signal.signal_id)
        reopened.dispose()

        assert stored == record
        assert (
            approved_to_proto(stored).SerializeToString()
            == approved_to_proto(record).SerializeToString()
        )

    def test_keeps_the_first_decision_per_signal_and_counts_by_account(
        self, database_url: str
    ) -> None:
        engine = make_engine(database_url)
        migrate_risk_tables(engine)
        repository = SqlAlchemyDecisionRepository(engine)
        entry = make_signal(SignalAction.ENTER_LONG)
        exit_ = make_signal(SignalAction.EXIT_LONG, candle_open_time_ms=2)
        elsewhere = make_signal(SignalAction.EXIT_LONG, account="live", candle_open_time_ms=3)
        first = DecisionRecord.of(entry, Decision.approve(Side.BUY, Decimal("0.05")), now_ms=1)

        assert repository.add(first) == first
        second_try = DecisionRecord.of(entry, Decision.reject("changed my mind"), now_ms=2)
        assert repository.add(second_try) == first
        repository.add(DecisionRecord.of(exit_, Decision.reject("no position to close"), now_ms=3))
        repository.add(
            DecisionRecord.of(elsewhere, Decision.reject("no position to close"), now_ms=4)
        )

        assert repository.counts("paper") == (1, 1)
        assert repository.counts("live") == (0, 1)
        assert repository.counts("nobody") == (0, 0)
        assert repository.get("unknown") is None
        stored_rejection = repository.get(exit_.signal_id)
        assert stored_rejection is not None
        assert replace(stored_rejection, reason="") == replace(
            DecisionRecord.of(exit_, Decision.reject("no position to close"), now_ms=3), reason=""
        )
        engine.dispose()


class TestApprovedPositionReader:
    async def test_counts_approved_orders_before_their_fills_are_booked(
        self, database_url: str
    ) -> None:
        engine = make_engine(database_url)
        migrate_risk_tables(engine)
        repository = SqlAlchemyDecisionRepository(engine)
        reader = ApprovedPositionReader(repository)
        entries = [make_signal(SignalAction.ENTER_LONG, candle_open_time_ms=t) for t in (1, 2)]
        repository.add(
            DecisionRecord.of(entries[0], Decision.approve(Side.BUY, Decimal("0.05")), now_ms=1)
        )
        repository.add(
            DecisionRecord.of(entries[1], Decision.approve(Side.BUY, Decimal("0.02")), now_ms=2)
        )
        rejected = make_signal(SignalAction.ENTER_LONG, candle_open_time_ms=3)
        repository.add(DecisionRecord.of(rejected, Decision.reject("limit"), now_ms=3))

        assert await reader.position_quantity("paper", "binance", "BTC/USDT") == Decimal("0.07")

        exit_ = make_signal(SignalAction.EXIT_LONG, candle_open_time_ms=4)
        repository.add(
            DecisionRecord.of(exit_, Decision.approve(Side.SELL, Decimal("0.07")), now_ms=4)
        )
        assert await reader.position_quantity("paper", "binance", "BTC/USDT") == 0
        assert await reader.position_quantity("paper", "binance", "ETH/USDT") == 0
        engine.dispose()
