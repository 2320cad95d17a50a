"""Strategy instances and their progress in SQL (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from crypto_trader.common.database import migrate
from crypto_trader.strategy.adapters.tables import instances
from crypto_trader.strategy.domain.instance import InstanceProgress, InstanceSpec, InstanceStatus
from crypto_trader.strategy.domain.schedule import EntryBudget, Schedule, parse_day

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "strategy_alembic_version"


def migrate_strategy_tables(engine: Engine) -> None:
    """Bring the strategy tables up to the newest revision."""
    migrate(engine, MIGRATIONS_DIR, version_table=VERSION_TABLE)


class SqlAlchemyInstanceRepository:
    """Instances and progress in the ``strategy_instances`` table."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def register(self, spec: InstanceSpec) -> InstanceProgress:
        existing = self.get(spec.instance_id)
        schedule = json.dumps(spec.schedule.as_dict(), sort_keys=True)
        if existing is not None:
            with self._engine.begin() as connection:
                connection.execute(
                    update(instances)
                    .where(instances.c.instance_id == spec.instance_id)
                    .values(schedule=schedule)
                )
            return existing.progress
        row = {
            "instance_id": spec.instance_id,
            "strategy": spec.strategy,
            "account": spec.account,
            "exchange": spec.exchange,
            "symbol": spec.symbol,
            "timeframe": spec.timeframe,
            "parameters": json.dumps(spec.parameters, sort_keys=True),
            "last_candle_open_time_ms": None,
            "candles_seen": 0,
            "signals_emitted": 0,
            "state": None,
            "schedule": schedule,
        }
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(instances).values(**row))
        except IntegrityError:
            # Another replica registered it first: use what it stored.
            return self.register(spec)
        return InstanceProgress(spec.instance_id)

    def save_progress(self, progress: InstanceProgress) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(instances)
                .where(instances.c.instance_id == progress.instance_id)
                .values(
                    last_candle_open_time_ms=progress.last_candle_open_time_ms,
                    candles_seen=progress.candles_seen,
                    signals_emitted=progress.signals_emitted,
                    state=json.dumps(
                        {
                            "strategy": progress.strategy_state,
                            "budget": {
                                "day": progress.budget.day,
                                "entries": progress.budget.entries,
                            },
                        },
                        allow_nan=False,
                    ),
                )
            )

    def get(self, instance_id: str) -> InstanceStatus | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(instances).where(instances.c.instance_id == instance_id)
            ).first()
        return None if row is None else _status(row._mapping)

    def list(self) -> list[InstanceStatus]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(instances).order_by(instances.c.instance_id)).all()
        return [_status(row._mapping) for row in rows]


def _status(row: Any) -> InstanceStatus:
    state = json.loads(row["state"]) if row["state"] else {}
    budget = state.get("budget") or {}
    spec = InstanceSpec.create(
        strategy=row["strategy"],
        account=row["account"],
        exchange=row["exchange"],
        symbol=row["symbol"],
        timeframe=row["timeframe"],
        params=json.loads(row["parameters"]),
        schedule=_schedule(row["schedule"]),
    )
    progress = InstanceProgress(
        instance_id=row["instance_id"],
        last_candle_open_time_ms=row["last_candle_open_time_ms"],
        candles_seen=row["candles_seen"],
        signals_emitted=row["signals_emitted"],
        budget=EntryBudget(int(budget.get("day", -1)), int(budget.get("entries", 0))),
        strategy_state=state.get("strategy"),
    )
    return InstanceStatus(spec, progress)


def _schedule(raw: str | None) -> Schedule:
    if not raw:
        return Schedule()
    data = json.loads(raw)
    hours = data.get("active_hours")
    return Schedule(
        active_hours=None if hours is None else (int(hours[0]), int(hours[1])),
        active_days=frozenset(parse_day(day) for day in data.get("active_days") or ()),
        start_ms=data.get("start_ms"),
        stop_ms=data.get("stop_ms"),
        max_trades_per_day=data.get("max_trades_per_day"),
    )
