"""Risk decisions in SQL (SQLite or PostgreSQL), one per signal."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from crypto_trader.common.database import migrate
from crypto_trader.common.model import Side
from crypto_trader.common.protective_exit import ExitHints
from crypto_trader.risk.adapters.tables import decisions, exposure_changes
from crypto_trader.risk.domain.decision import DecisionRecord
from crypto_trader.risk.domain.exposure import ExposureChange
from crypto_trader.risk.domain.signal import SignalAction

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "risk_alembic_version"


def migrate_risk_tables(engine: Engine) -> None:
    """Bring the risk tables up to the newest revision."""
    migrate(engine, MIGRATIONS_DIR, version_table=VERSION_TABLE)


class SqlAlchemyDecisionRepository:
    """Decisions in the ``risk_decisions`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, signal_id: str) -> DecisionRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(decisions).where(decisions.c.signal_id == signal_id)
            ).first()
        return None if row is None else _record(row._mapping)

    def get_by_order(self, client_order_id: str) -> DecisionRecord | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(decisions).where(
                    decisions.c.client_order_id == client_order_id,
                    decisions.c.approved.is_(True),
                )
            ).first()
        return None if row is None else _record(row._mapping)

    def add_change(self, change: ExposureChange) -> bool:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(exposure_changes).values(
                        client_order_id=change.client_order_id,
                        account=change.account,
                        exchange=change.exchange,
                        symbol=change.symbol,
                        quantity=change.quantity,
                        reason=change.reason,
                        ts_ms=change.ts_ms,
                    )
                )
        except IntegrityError:
            return False
        return True

    def add(self, record: DecisionRecord) -> DecisionRecord:
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(decisions).values(**_row(record)))
        except IntegrityError:
            # Another replica decided on this signal first: its decision is the one that counts.
            stored = self.get(record.signal_id)
            if stored is None:
                raise
            return stored
        return record

    def approved_position(self, account: str, exchange: str, symbol: str) -> Decimal:
        """Sum the signed quantities risk approved in a market, whether or not they are booked yet,
        corrected by what execution reported: unfilled remainders and protective exits.

        Asking portfolio instead would race with the booking of a fill: an exit decided on the
        candle that fills its entry would see a flat position.
        """
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(decisions.c.side, decisions.c.quantity).where(
                    decisions.c.account == account,
                    decisions.c.exchange == exchange,
                    decisions.c.symbol == symbol,
                    decisions.c.approved.is_(True),
                )
            ).all()
            # Summed here, not in SQL: SQLite keeps exact decimals as text and would sum floats.
            changes = connection.execute(
                select(exposure_changes.c.quantity).where(
                    exposure_changes.c.account == account,
                    exposure_changes.c.exchange == exchange,
                    exposure_changes.c.symbol == symbol,
                )
            ).scalars()
            total = sum(changes, Decimal(0))
        for side, quantity in rows:
            total += quantity if side == Side.BUY.value else -quantity
        return total

    def counts(self, account: str) -> tuple[int, int]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(decisions.c.approved, func.count())
                .where(decisions.c.account == account)
                .group_by(decisions.c.approved)
            ).all()
        by_outcome = {bool(approved): count for approved, count in rows}
        return by_outcome.get(True, 0), by_outcome.get(False, 0)


def _row(record: DecisionRecord) -> dict[str, Any]:
    return {
        "signal_id": record.signal_id,
        "event_id": record.event_id,
        "account": record.account,
        "exchange": record.exchange,
        "symbol": record.symbol,
        "timeframe": record.timeframe,
        "action": record.action.value,
        "reference_price": record.reference_price,
        "not_before_ms": record.not_before_ms,
        "approved": record.approved,
        "side": None if record.side is None else record.side.value,
        "quantity": record.quantity,
        "reason": record.reason,
        "intent_id": record.intent_id,
        "client_order_id": record.client_order_id,
        "ts_event": record.ts_event,
        "ts_init": record.ts_init,
        "stop_loss": record.hints.stop_loss,
        "take_profit": record.hints.take_profit,
        "trailing_stop": record.hints.trailing_stop,
    }


def _record(row: Any) -> DecisionRecord:
    return DecisionRecord(
        signal_id=row["signal_id"],
        event_id=row["event_id"],
        account=row["account"],
        exchange=row["exchange"],
        symbol=row["symbol"],
        timeframe=row["timeframe"],
        action=SignalAction(row["action"]),
        reference_price=row["reference_price"],
        not_before_ms=row["not_before_ms"],
        approved=bool(row["approved"]),
        side=None if row["side"] is None else Side(row["side"]),
        quantity=row["quantity"],
        reason=row["reason"],
        intent_id=row["intent_id"],
        client_order_id=row["client_order_id"],
        ts_event=row["ts_event"],
        ts_init=row["ts_init"],
        hints=ExitHints(row["stop_loss"], row["take_profit"], row["trailing_stop"]),
    )


class ApprovedPositionReader:
    """The position an account will hold once its approved orders fill, from the decision table."""

    def __init__(self, repository: SqlAlchemyDecisionRepository) -> None:
        self._repository = repository

    async def position_quantity(self, account: str, exchange: str, symbol: str) -> Decimal:
        return await asyncio.to_thread(
            self._repository.approved_position, account, exchange, symbol
        )
