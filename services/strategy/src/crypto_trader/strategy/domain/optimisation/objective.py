"""Objectives: which backtest metric a search maximises, and how trials rank."""

from __future__ import annotations

import math
from collections.abc import Mapping

from crypto_trader.common.errors import InvalidInput

# Objective name -> field of the backtest metrics (all "higher is better").
OBJECTIVES: Mapping[str, str] = {
    "sharpe": "sharpe",
    "sortino": "sortino",
    "calmar": "calmar",
    "total_return": "total_return",
    "profit_factor": "profit_factor",
}


def check_objective(name: str) -> str:
    """Return ``name`` when it is a known objective.

    Raises
    ------
    InvalidInput
        When it is not.
    """
    if name not in OBJECTIVES:
        raise InvalidInput(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}")
    return name


def score(metrics: Mapping[str, object], objective: str) -> float | None:
    """Return the objective's value from a metrics dict, or None when undefined or not finite."""
    value = metrics.get(OBJECTIVES[check_objective(objective)])
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def rank_key(trial_score: float | None, number: int) -> tuple[int, float, int]:
    """Return a sort key: defined scores first, highest first, then the earlier trial."""
    if trial_score is None:
        return (1, 0.0, number)
    return (0, -trial_score, number)
