"""Optimisation runs and their trials in SQL (SQLite or PostgreSQL), comparable across runs."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

from crypto_trader.common.database import make_engine
from crypto_trader.common.errors import NotFound
from crypto_trader.strategy.adapters.repository import migrate_strategy_tables
from crypto_trader.strategy.domain.optimisation import OptimisationRun, Trial, WindowResult

# Own metadata: these tables are created by revision 0003, not by the instance tables' module.
metadata = MetaData()

optimisation_runs = Table(
    "strategy_optimisation_runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("strategy", String(64), nullable=False, index=True),
    Column("method", String(16), nullable=False),
    Column("objective", String(32), nullable=False),
    # JSON documents: the search space, walk-forward config, run settings, best params, the
    # per-window results and the stitched out-of-sample metrics.
    Column("search_space", Text, nullable=False),
    Column("walk_forward", Text, nullable=True),
    Column("settings", Text, nullable=False),
    Column("best_params", Text, nullable=True),
    Column("best_score", Text, nullable=True),
    Column("windows", Text, nullable=False),
    Column("out_of_sample_metrics", Text, nullable=True),
    Column("skipped", Integer, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

optimisation_trials = Table(
    "strategy_optimisation_trials",
    metadata,
    Column(
        "run_id",
        String(64),
        ForeignKey("strategy_optimisation_runs.run_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("number", Integer, primary_key=True),
    Column("window_index", Integer, nullable=True),
    Column("params", Text, nullable=False),
    Column("metrics", Text, nullable=False),
    Column("score", Text, nullable=True),
)


def _dump(value: object) -> str:
    # repr-exact floats; JSON has no NaN (metrics are cleaned before they get here).
    return json.dumps(value, sort_keys=True, allow_nan=False)


def _load_score(text: str | None) -> float | None:
    return None if text is None else float(json.loads(text))


class SqlAlchemyOptimisationStore:
    """Optimisation runs in ``strategy_optimisation_runs``, their trials in ``..._trials``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save(self, run: OptimisationRun) -> None:
        """Store a run and all its trials in one transaction."""
        row = {
            "run_id": run.run_id,
            "strategy": run.strategy,
            "method": run.method,
            "objective": run.objective,
            "search_space": _dump(run.search_space),
            "walk_forward": None if run.walk_forward is None else _dump(run.walk_forward),
            "settings": _dump(run.settings),
            "best_params": None if run.best_params is None else _dump(run.best_params),
            "best_score": None if run.best_score is None else _dump(run.best_score),
            "windows": _dump([window.as_dict() for window in run.windows]),
            "out_of_sample_metrics": None
            if run.out_of_sample_metrics is None
            else _dump(run.out_of_sample_metrics),
            "skipped": run.skipped,
            "created_ms": run.created_ms,
        }
        trials = [
            {
                "run_id": run.run_id,
                "number": trial.number,
                "window_index": trial.window,
                "params": _dump(trial.params),
                "metrics": _dump(trial.metrics),
                "score": None if trial.score is None else _dump(trial.score),
            }
            for trial in run.trials
        ]
        with self._engine.begin() as connection:
            connection.execute(insert(optimisation_runs).values(**row))
            if trials:
                connection.execute(insert(optimisation_trials), trials)

    def get(self, run_id: str) -> OptimisationRun:
        """Return a stored run with its trials.

        Raises
        ------
        NotFound
            When no run has that id.
        """
        with self._engine.connect() as connection:
            row = (
                connection.execute(
                    select(optimisation_runs).where(optimisation_runs.c.run_id == run_id)
                )
                .mappings()
                .first()
            )
            if row is None:
                raise NotFound(f"no optimisation run {run_id!r}")
            trial_rows = (
                connection.execute(
                    select(optimisation_trials)
                    .where(optimisation_trials.c.run_id == run_id)
                    .order_by(optimisation_trials.c.number)
                )
                .mappings()
                .all()
            )
        trials = tuple(
            Trial(
                number=trial["number"],
                window=trial["window_index"],
                params=json.loads(trial["params"]),
                metrics=json.loads(trial["metrics"]),
                score=_load_score(trial["score"]),
            )
            for trial in trial_rows
        )
        return _run(row, trials)

    def list_runs(self, strategy: str | None = None) -> list[OptimisationRun]:
        """Return stored runs (without trials), newest first, optionally of one strategy."""
        query = select(optimisation_runs).order_by(
            optimisation_runs.c.created_ms.desc(), optimisation_runs.c.run_id
        )
        if strategy is not None:
            query = query.where(optimisation_runs.c.strategy == strategy)
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_run(row, ()) for row in rows]


def _optional(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _run(row: Any, trials: tuple[Trial, ...]) -> OptimisationRun:
    return OptimisationRun(
        run_id=row["run_id"],
        strategy=row["strategy"],
        method=row["method"],
        objective=row["objective"],
        search_space=json.loads(row["search_space"]),
        walk_forward=_optional(row["walk_forward"]),
        settings=json.loads(row["settings"]),
        created_ms=row["created_ms"],
        trials=trials,
        best_params=_optional(row["best_params"]),
        best_score=_load_score(row["best_score"]),
        windows=tuple(WindowResult.from_dict(item) for item in json.loads(row["windows"])),
        out_of_sample_metrics=_optional(row["out_of_sample_metrics"]),
        skipped=row["skipped"],
    )


def store_run(run: OptimisationRun, database_url: str) -> None:
    """Store a run in the strategy database at ``database_url``, migrating its tables first."""
    engine = make_engine(database_url)
    try:
        migrate_strategy_tables(engine)
        SqlAlchemyOptimisationStore(engine).save(run)
    finally:
        engine.dispose()
