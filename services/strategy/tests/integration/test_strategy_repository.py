"""Strategy instances and progress survive in SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from crypto_trader.common.database import make_engine
from crypto_trader.strategy.adapters.repository import (
    SqlAlchemyInstanceRepository,
    migrate_strategy_tables,
)
from crypto_trader.strategy.domain.instance import InstanceProgress, InstanceSpec

pytestmark = pytest.mark.integration

SPEC = InstanceSpec("sma_cross", "paper", "binance", "BTC/USDT", "5m", 10, 30)


class TestSqlAlchemyInstanceRepository:
    def test_registers_once_and_keeps_progress_across_engines(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate_strategy_tables(engine)
        repository = SqlAlchemyInstanceRepository(engine)

        assert repository.register(SPEC) == InstanceProgress(SPEC.instance_id)
        progress = InstanceProgress(
            SPEC.instance_id, 1_606_780_800_000, candles_seen=7, signals_emitted=2
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
        other = InstanceSpec("sma_cross", "paper", "binance", "ETH/USDT", "1h", 5, 20)

        repository.register(SPEC)
        repository.register(other)

        listed = {s.spec for s in repository.list()}
        assert listed == {SPEC, other}
        assert repository.get("nope") is None
        engine.dispose()
