"""The record of one optimisation run: settings, trials, per-window results and the best params."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crypto_trader.strategy.domain.optimisation.evaluation import MetricsDict, ParameterValue, Trial
from crypto_trader.strategy.domain.optimisation.objective import rank_key
from crypto_trader.strategy.domain.optimisation.walk_forward import Window

METHODS = ("grid", "tpe")


def best_trial(trials: Sequence[Trial]) -> Trial | None:
    """Return the highest-scoring trial (undefined scores last, ties to the earlier trial)."""
    ranked = rank_trials(trials)
    return ranked[0] if ranked else None


def rank_trials(trials: Sequence[Trial]) -> list[Trial]:
    """Return the trials best first (undefined scores last, ties to the earlier trial)."""
    return sorted(trials, key=lambda trial: rank_key(trial.score, trial.number))


@dataclass(frozen=True, slots=True)
class WindowResult:
    """One walk-forward window: the best in-sample params and how they did out of sample."""

    window: Window
    best_params: dict[str, ParameterValue]
    in_sample_score: float | None
    in_sample_metrics: MetricsDict
    out_of_sample_score: float | None
    out_of_sample_metrics: MetricsDict

    def as_dict(self) -> dict[str, object]:
        """Return the window result as a JSON-ready dict."""
        return {
            **self.window.as_dict(),
            "best_params": self.best_params,
            "in_sample": {"score": self.in_sample_score, "metrics": self.in_sample_metrics},
            "out_of_sample": {
                "score": self.out_of_sample_score,
                "metrics": self.out_of_sample_metrics,
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WindowResult:
        """Rebuild a window result from ``as_dict`` output."""
        window = Window(
            index=int(data["index"]),
            in_sample_start=int(data["in_sample_start"]),
            in_sample_end=int(data["in_sample_end"]),
            out_of_sample_start=int(data["out_of_sample_start"]),
            out_of_sample_end=int(data["out_of_sample_end"]),
        )
        in_sample, out_of_sample = data["in_sample"], data["out_of_sample"]
        return cls(
            window,
            dict(data["best_params"]),
            in_sample["score"],
            dict(in_sample["metrics"]),
            out_of_sample["score"],
            dict(out_of_sample["metrics"]),
        )


@dataclass(frozen=True, slots=True)
class OptimisationRun:
    """Everything a run produced, comparable with other runs once stored."""

    run_id: str
    strategy: str
    method: str
    objective: str
    search_space: dict[str, object]
    walk_forward: dict[str, object] | None
    settings: dict[str, object]
    created_ms: int
    trials: tuple[Trial, ...]
    best_params: dict[str, ParameterValue] | None
    best_score: float | None
    windows: tuple[WindowResult, ...] = ()
    out_of_sample_metrics: MetricsDict | None = None
    skipped: int = 0

    def summary(self) -> dict[str, object]:
        """Return the run without its trials, JSON-ready."""
        return {
            "run_id": self.run_id,
            "strategy": self.strategy,
            "method": self.method,
            "objective": self.objective,
            "search_space": self.search_space,
            "walk_forward": self.walk_forward,
            "settings": self.settings,
            "created_ms": self.created_ms,
            "best_params": self.best_params,
            "best_score": self.best_score,
            "windows": [window.as_dict() for window in self.windows],
            "out_of_sample_metrics": self.out_of_sample_metrics,
            "skipped": self.skipped,
            "trial_count": len(self.trials),
        }

    def as_dict(self) -> dict[str, object]:
        """Return the run with its trials, JSON-ready."""
        return {**self.summary(), "trials": [trial.as_dict() for trial in self.trials]}
