"""Strategy instances and progress survive in SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from crypto_trader.common.database import make_engine
from crypto_trader.strategy.adapters.repository import (
    SqlAlchemyInstanceRepository,
    migrate_strategy_tables,
)
from crypto_trader.strategy.domain.instance import InstanceProgress, InstanceSpec
from crypto_trader.strategy.domain.schedule import EntryBudget, Schedule

pytestmark = pytest.mark.integration

SCHEDULE = Schedule(
    active_hours=(22, 2),
    active_days=frozenset({0, 4}),
    start_ms=1_600_000_000_000,
    stop_ms=1_700_000_000_000,
    max_trades_per_day=3,
)
SPEC = InstanceSpec.create(
    "sma_cross", "paper", "binance", "BTC/USDT", "5m", {"fast": 10, "slow": 30}, SCHEDULE
)


class TestSqlAlchemyInstanceRepository:
    def test_registers_once_and_keeps_progress_across_engines(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate_strategy_tables(engine)
        repository = SqlAlchemyInstanceRepository(engine)

        assert repository.register(SPEC) == InstanceProgress(SPEC.instance_id)
        progress = InstanceProgress(
            SPEC.instance_id,
            1_606_780_800_000,
            candles_seen=7,
            signals_emitted=2,
            budget=EntryBudget(18_597, 2),
            strategy_state={"seen": 7, "previous": -1, "running": [0.0, 1.5], "total": 0.1},
        )
        repository.save_progress(progress)
        engine.dispose()

        reopened = make_engine(database_url)
        migrate_strategy_tables(reopened)  # a restart migrates again: a no-op
        repository = SqlAlchemyInstanceRepository(reopened)
        assert repository.register(SPEC) == progress
        status = repository.get(SPEC.instance_id)
        assert status is not None
        assert (status.spec, status.progress) == (SPEC, progress)
        reopened.dispose()

    def test_lists_every_instance_and_misses_unknown_ones(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate_strategy_tables(engine)
        repository = SqlAlchemyInstanceRepository(engine)
        other = InstanceSpec.create(
            "rsi_mean_reversion", "paper", "binance", "ETH/USDT", "1h", {"period": 7}
        )

        repository.register(SPEC)
        repository.register(other)

        listed = {s.spec for s in repository.list()}
        assert listed == {SPEC, other}
        assert repository.get("nope") is None
        engine.dispose()
