"""Optimisation runs and trials round-trip through SQLite and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.database import make_engine
from crypto_trader.common.errors import NotFound
from crypto_trader.strategy.adapters.optimisation_store import SqlAlchemyOptimisationStore
from crypto_trader.strategy.adapters.repository import migrate_strategy_tables
from crypto_trader.strategy.domain.framework import SmaCross
from crypto_trader.strategy.domain.indicators import CandleFrame
from crypto_trader.strategy.domain.optimisation import WalkForwardConfig, build_search_space
from crypto_trader.strategy.optimiser import OptimiseRequest, optimise

pytestmark = pytest.mark.integration


def _run(run_id: str, created_ms: int, walk_forward: WalkForwardConfig | None):
    rows = []
    for index in range(900):
        close = 100 + 6 * math.sin(index / 19) + 2 * math.sin(index / 5.1)
        rows.append([1_600_000_000_000 + index * 60_000, close, close, close, close, 1])
    space = build_search_space(
        SmaCross.schema()["parameters"],  # type: ignore[arg-type]
        ["fast=3:9:3", "slow=10:30:10", "short=bool"],
    )
    request = OptimiseRequest("sma_cross", space, walk_forward=walk_forward)
    return optimise(
        CandleFrame.from_rows(rows), request, clock=FakeClock(created_ms), run_id=run_id
    )


class TestSqlAlchemyOptimisationStore:
    def test_round_trips_runs_with_trials_and_walk_forward_windows(self, database_url: str) -> None:
        engine = make_engine(database_url)
        migrate_strategy_tables(engine)
        store = SqlAlchemyOptimisationStore(engine)
        walk_forward = _run("wf-run", 2_000, WalkForwardConfig(300, 200))
        plain = _run("plain-run", 1_000, None)

        store.save(plain)
        store.save(walk_forward)
        engine.dispose()

        reopened = make_engine(database_url)
        migrate_strategy_tables(reopened)
        store = SqlAlchemyOptimisationStore(reopened)
        assert store.get("wf-run") == walk_forward
        assert store.get("plain-run") == plain
        listed = store.list_runs(strategy="sma_cross")
        assert [run.run_id for run in listed] == ["wf-run", "plain-run"]
        assert listed[0].trials == () and listed[0].windows == walk_forward.windows
        assert store.list_runs(strategy="ema_cross") == []
        with pytest.raises(NotFound):
            store.get("missing")
        reopened.dispose()
