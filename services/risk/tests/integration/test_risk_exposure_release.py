"""Exposure corrections from execution's terminal orders: stored once, in SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.database import make_engine
from crypto_trader.common.model import Side
from crypto_trader.common.protective_exit import ExitHints
from crypto_trader.risk.adapters.nats_publisher import approved_to_proto
from crypto_trader.risk.adapters.repository import (
    ApprovedPositionReader,
    SqlAlchemyDecisionRepository,
    migrate_risk_tables,
)
from crypto_trader.risk.domain.decision import Decision, DecisionRecord
from crypto_trader.risk.domain.exposure import OrderEnd, OrderOutcome
from crypto_trader.risk.domain.signal import SignalAction
from crypto_trader.risk.handlers import record_order_outcome
from crypto_trader.risk.testing import make_signal

pytestmark = pytest.mark.integration


def outcome(record: DecisionRecord, end: OrderEnd, filled: str) -> OrderOutcome:
    assert record.client_order_id is not None and record.quantity is not None
    assert record.side is not None
    return OrderOutcome(
        client_order_id=record.client_order_id,
        account=record.account,
        exchange=record.exchange,
        symbol=record.symbol,
        side=record.side,
        quantity=record.quantity,
        filled_quantity=Decimal(filled),
        end=end,
    )


class TestRelease:
    async def test_a_canceled_remainder_leaves_the_exposure_once_even_when_redelivered(
        self, database_url: str
    ) -> None:
        engine = make_engine(database_url)
        migrate_risk_tables(engine)
        repository = SqlAlchemyDecisionRepository(engine)
        positions = ApprovedPositionReader(repository)
        entry = DecisionRecord.of(
            make_signal(SignalAction.ENTER_LONG),
            Decision.approve(Side.BUY, Decimal("0.05")),
            now_ms=1,
        )
        repository.add(entry)
        clock = FakeClock(10)
        canceled = outcome(entry, OrderEnd.CANCELED, "0.02")

        first = await record_order_outcome(
            canceled, decisions=repository, exposure=repository, clock=clock
        )
        again = await record_order_outcome(
            canceled, decisions=repository, exposure=repository, clock=clock
        )
        exposure = await positions.position_quantity("paper", "binance", "BTC/USDT")
        engine.dispose()

        assert first is not None and first.quantity == Decimal("-0.03")
        assert again is None
        assert exposure == Decimal("0.02")

    async def test_a_rejected_exit_gives_its_quantity_back_and_a_filled_order_changes_nothing(
        self, database_url: str
    ) -> None:
        engine = make_engine(database_url)
        migrate_risk_tables(engine)
        repository = SqlAlchemyDecisionRepository(engine)
        positions = ApprovedPositionReader(repository)
        entry = DecisionRecord.of(
            make_signal(SignalAction.ENTER_LONG),
            Decision.approve(Side.BUY, Decimal("0.05")),
            now_ms=1,
        )
        exit_ = DecisionRecord.of(
            make_signal(SignalAction.EXIT_LONG, candle_open_time_ms=2),
            Decision.approve(Side.SELL, Decimal("0.05")),
            now_ms=2,
        )
        repository.add(entry)
        repository.add(exit_)
        clock = FakeClock(10)

        filled = await record_order_outcome(
            outcome(entry, OrderEnd.FILLED, "0.05"),
            decisions=repository,
            exposure=repository,
            clock=clock,
        )
        rejected = await record_order_outcome(
            outcome(exit_, OrderEnd.REJECTED, "0"),
            decisions=repository,
            exposure=repository,
            clock=clock,
        )
        exposure = await positions.position_quantity("paper", "binance", "BTC/USDT")
        engine.dispose()

        assert filled is None
        assert rejected is not None and rejected.quantity == Decimal("0.05")
        assert exposure == Decimal("0.05")

    async def test_a_protective_exit_execution_placed_closes_the_exposure(
        self, database_url: str
    ) -> None:
        engine = make_engine(database_url)
        migrate_risk_tables(engine)
        repository = SqlAlchemyDecisionRepository(engine)
        positions = ApprovedPositionReader(repository)
        entry = DecisionRecord.of(
            make_signal(SignalAction.ENTER_LONG),
            Decision.approve(Side.BUY, Decimal("0.05")),
            now_ms=1,
        )
        repository.add(entry)
        stop = OrderOutcome(
            client_order_id="ct-x-stop",
            account="paper",
            exchange="binance",
            symbol="BTC/USDT",
            side=Side.SELL,
            quantity=Decimal("0.05"),
            filled_quantity=Decimal("0.05"),
            end=OrderEnd.FILLED,
            exit_reason="stop_loss",
        )

        for _ in range(2):
            await record_order_outcome(
                stop, decisions=repository, exposure=repository, clock=FakeClock(10)
            )
        exposure = await positions.position_quantity("paper", "binance", "BTC/USDT")
        engine.dispose()

        assert exposure == 0


class TestHintsStored:
    def test_an_entry_with_hints_republishes_byte_for_byte(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate_risk_tables(engine)
        hints = ExitHints(Decimal("19000.5"), Decimal("21000"), Decimal("19607.03"))
        signal = make_signal(SignalAction.ENTER_LONG, price="20007.03", hints=hints)
        record = DecisionRecord.of(
            signal, Decision.approve(Side.BUY, Decimal("0.049"), hints), now_ms=7
        )
        SqlAlchemyDecisionRepository(engine).add(record)

        stored = SqlAlchemyDecisionRepository(engine).get(signal.signal_id)
        engine.dispose()

        assert stored is not None and stored.hints == hints
        message = approved_to_proto(stored)
        assert message.SerializeToString() == approved_to_proto(record).SerializeToString()
        assert (message.stop_loss, message.take_profit, message.trailing_stop) == (
            "19000.5",
            "21000",
            "19607.03",
        )
        assert not message.reduce_only
