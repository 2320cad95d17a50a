"""Optimise a strategy's parameters (grid or TPE, optionally walk-forward), trials in parallel."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.ids import random_id
from crypto_trader.strategy.domain.backtesting import BacktestConfig
from crypto_trader.strategy.domain.framework import strategy_class
from crypto_trader.strategy.domain.indicators import CandleFrame
from crypto_trader.strategy.domain.optimisation import (
    DEFAULT_GRID_CAP,
    METHODS,
    OptimisationRun,
    ParameterValue,
    SearchSpace,
    Trial,
    TrialTask,
    WalkForwardConfig,
    WindowResult,
    backtest_out_of_sample,
    best_trial,
    build_search_space,
    check_objective,
    out_of_sample_metrics,
    run_trial,
    score,
    stitch,
    valid_params,
    walk_forward_windows,
)

ProgressCallback = Callable[[int, int], None]
TrialCallback = Callable[[Trial], None]
# TPE asks this many trials before learning from them, whatever the worker count, so a seeded
# run gives the same trials inline and in parallel.
TPE_BATCH = 8
# Give up on TPE when it keeps proposing combinations the strategy rejects.
MAX_PRUNED_PER_TRIAL = 20


@dataclass(frozen=True, slots=True)
class OptimiseRequest:
    """What to optimise and how."""

    strategy: str
    space: SearchSpace
    method: str = "grid"
    objective: str = "sharpe"
    trials: int = 50
    seed: int = 0
    walk_forward: WalkForwardConfig | None = None
    config: BacktestConfig = field(default_factory=BacktestConfig)
    workers: int = 1
    grid_cap: int = DEFAULT_GRID_CAP

    def check(self) -> None:
        """Raise InvalidInput on an unknown strategy, method or objective, or bad counts."""
        strategy_class(self.strategy)
        check_objective(self.objective)
        if self.method not in METHODS:
            raise InvalidInput(f"unknown method {self.method!r}; known: {', '.join(METHODS)}")
        if self.trials < 1:
            raise InvalidInput(f"trials must be >= 1, got {self.trials}")
        if self.workers < 1:
            raise InvalidInput(f"workers must be >= 1, got {self.workers}")


def search_space_for(
    strategy: str, ranges: Sequence[str], fixed: Mapping[str, object] | None = None
) -> SearchSpace:
    """Build the space of ``NAME=LOW:HIGH[:STEP]`` ranges, the other parameters fixed at
    ``fixed`` values (strings or numbers, checked against the strategy's schema).

    Raises
    ------
    InvalidInput
        On an unknown strategy or parameter, a bad range or a bad fixed value.
    """
    strategy_type = strategy_class(strategy)
    known = {parameter.name: parameter for parameter in strategy_type.parameters}
    for name in fixed or {}:
        if name not in known:
            raise InvalidInput(f"unknown parameter {name!r}; known: {', '.join(known)}")
    values = {name: known[name].parse(value) for name, value in (fixed or {}).items()}
    return build_search_space(
        strategy_type.schema()["parameters"],  # type: ignore[arg-type]
        ranges,
        values,
    )


def default_workers() -> int:
    """Return one worker per core."""
    return os.cpu_count() or 1


class TrialBackend(Protocol):
    """Where trials run: local processes, or remote workers."""

    def open(
        self, frame: CandleFrame, config: BacktestConfig, objective: str
    ) -> AbstractContextManager[TrialEvaluator]:
        """Make the candles and config available to the evaluators; release them on exit."""
        ...


# Backtests a batch of tasks and yields their trials in task order (as each becomes known).
TrialEvaluator = Callable[[Sequence[TrialTask]], Iterator[Trial]]


# Worker-process state, set once per process by the pool initializer so each task ships only
# its parameters and candle range, not the candles.
_worker_state: dict[str, object] = {}


def _init_worker(frame: CandleFrame, config: BacktestConfig, objective: str) -> None:
    _worker_state.update(frame=frame, config=config, objective=objective)


def _run_in_worker(task: TrialTask) -> Trial:
    return run_trial(
        task,
        _worker_state["frame"],  # type: ignore[arg-type]
        _worker_state["config"],  # type: ignore[arg-type]
        str(_worker_state["objective"]),
    )


@dataclass(frozen=True, slots=True)
class LocalTrials:
    """Run trials in this process (one worker) or in a pool of local processes."""

    workers: int = 1

    @contextmanager
    def open(
        self, frame: CandleFrame, config: BacktestConfig, objective: str
    ) -> Iterator[TrialEvaluator]:
        """Yield an evaluator over the candles; the process pool lives as long as the block."""
        if self.workers == 1:
            yield lambda tasks: (run_trial(task, frame, config, objective) for task in tasks)
            return
        with ProcessPoolExecutor(
            max_workers=self.workers,
            initializer=_init_worker,
            initargs=(frame, config, objective),
        ) as pool:

            def evaluate(tasks: Sequence[TrialTask]) -> Iterator[Trial]:
                # Chunks amortise the inter-process round trip (a trial takes a few
                # milliseconds); four per worker keep the load balanced when costs differ.
                chunk = max(1, len(tasks) // (4 * self.workers))
                return pool.map(_run_in_worker, tasks, chunksize=chunk)

            yield evaluate


class _TrialRunner:
    def __init__(
        self,
        request: OptimiseRequest,
        evaluate: TrialEvaluator,
        on_progress: ProgressCallback | None,
        on_trial: TrialCallback | None,
        total: int,
    ) -> None:
        self._request = request
        self._evaluate = evaluate
        self._on_progress = on_progress
        self._on_trial = on_trial
        self.total = total
        self.done = 0
        self.number = 0

    def task(
        self, window: int | None, params: dict[str, ParameterValue], start: int, end: int
    ) -> TrialTask:
        task = TrialTask(self.number, window, self._request.strategy, params, start, end)
        self.number += 1
        return task

    def run(self, tasks: Sequence[TrialTask]) -> list[Trial]:
        trials = []
        for trial in self._evaluate(tasks):
            trials.append(trial)
            self.done += 1
            if self._on_trial is not None:
                self._on_trial(trial)
            if self._on_progress is not None:
                self._on_progress(self.done, self.total)
        return trials


def _grid_search(
    runner: _TrialRunner, request: OptimiseRequest, window: int | None, start: int, end: int
) -> tuple[list[Trial], int]:
    combos = list(request.space.grid(request.grid_cap))
    valid = [params for params in combos if valid_params(request.strategy, params)]
    tasks = [runner.task(window, params, start, end) for params in valid]
    return runner.run(tasks), len(combos) - len(valid)


def _tpe_search(
    runner: _TrialRunner, request: OptimiseRequest, window: int | None, start: int, end: int
) -> tuple[list[Trial], int]:
    import optuna
    from optuna.trial import TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=request.seed + (window or 0))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    trials: list[Trial] = []
    pruned = 0
    while len(trials) < request.trials:
        if pruned > MAX_PRUNED_PER_TRIAL * request.trials:
            break
        asked: list[tuple[optuna.trial.Trial, dict[str, ParameterValue]]] = []
        while len(asked) < min(TPE_BATCH, request.trials - len(trials)):
            candidate = study.ask()
            params = {**request.space.fixed, **_suggest(candidate, request.space)}
            if valid_params(request.strategy, params):
                asked.append((candidate, params))
                continue
            # The strategy rejects it (e.g. fast >= slow): prune it so TPE learns to avoid it.
            study.tell(candidate, state=TrialState.PRUNED)
            pruned += 1
            if pruned > MAX_PRUNED_PER_TRIAL * request.trials:
                break
        done = runner.run([runner.task(window, params, start, end) for _, params in asked])
        for (candidate, _), trial in zip(asked, done, strict=True):
            if trial.score is None:
                study.tell(candidate, state=TrialState.FAIL)
            else:
                study.tell(candidate, trial.score)
        trials.extend(done)
    return trials, pruned


def _suggest(candidate: Any, space: SearchSpace) -> dict[str, ParameterValue]:
    params: dict[str, ParameterValue] = {}
    for dimension in space.dimensions:
        if dimension.type == "bool":
            params[dimension.name] = candidate.suggest_categorical(dimension.name, [False, True])
        elif dimension.type == "int":
            step = int(dimension.step or 1)
            low, high = int(dimension.low), int(dimension.high)
            params[dimension.name] = candidate.suggest_int(dimension.name, low, high, step=step)
        else:
            params[dimension.name] = candidate.suggest_float(
                dimension.name, dimension.low, dimension.high, step=dimension.step
            )
    return params


def _search(
    runner: _TrialRunner, request: OptimiseRequest, window: int | None, start: int, end: int
) -> tuple[list[Trial], int]:
    search = _grid_search if request.method == "grid" else _tpe_search
    trials, skipped = search(runner, request, window, start, end)
    if not trials:
        raise InvalidInput(
            f"no valid parameter combination in the search space of {request.strategy}"
        )
    return trials, skipped


def _trials_per_search(request: OptimiseRequest) -> int:
    if request.method == "tpe":
        return request.trials
    combos = request.space.grid(request.grid_cap)
    return sum(1 for params in combos if valid_params(request.strategy, params))


def optimise(
    frame: CandleFrame,
    request: OptimiseRequest,
    *,
    clock: Clock,
    run_id: str | None = None,
    on_progress: ProgressCallback | None = None,
    on_trial: TrialCallback | None = None,
    backend: TrialBackend | None = None,
) -> OptimisationRun:
    """Search the parameter space on the candles (each walk-forward window in turn) and return the
    run: every trial, the best parameters and, with walk-forward, in- vs out-of-sample results.

    Trials run on ``backend`` (default: ``request.workers`` local processes); every backend gives
    the same run for the same request, since trials are pure and TPE asks in fixed batches.

    Raises
    ------
    InvalidInput
        On a bad request, a grid over its cap, too few candles, or no valid combination.
    """
    request.check()
    windows = (
        walk_forward_windows(len(frame), request.walk_forward)
        if request.walk_forward is not None
        else []
    )
    if not windows and len(frame) < 2:
        raise InvalidInput(f"need at least 2 candles to optimise, got {len(frame)}")
    total = _trials_per_search(request) * max(1, len(windows))
    all_trials: list[Trial] = []
    skipped = 0
    results: list[WindowResult] = []
    parts = []
    backend = backend or LocalTrials(request.workers)
    with backend.open(frame, request.config, request.objective) as evaluate:
        runner = _TrialRunner(request, evaluate, on_progress, on_trial, total)
        if not windows:
            trials, skipped = _search(runner, request, None, 0, len(frame))
            all_trials.extend(trials)
        for window in windows:
            trials, window_skipped = _search(
                runner, request, window.index, window.in_sample_start, window.in_sample_end
            )
            all_trials.extend(trials)
            skipped += window_skipped
            best = best_trial(trials)
            assert best is not None  # noqa: S101 - _search never returns no trials
            part = backtest_out_of_sample(
                frame,
                request.strategy,
                best.params,
                request.config,
                window.out_of_sample_start,
                window.out_of_sample_end,
            )
            parts.append(part)
            metrics = out_of_sample_metrics(part)
            results.append(
                WindowResult(
                    window,
                    best.params,
                    best.score,
                    best.metrics,
                    score(metrics, request.objective),
                    metrics,
                )
            )
    # The params to use next: the best of the whole data, or of the latest in-sample window.
    if results:
        best_params, best_score = results[-1].best_params, results[-1].in_sample_score
    else:
        best = best_trial(all_trials)
        assert best is not None  # noqa: S101 - _search never returns no trials
        best_params, best_score = best.params, best.score
    config = request.config
    return OptimisationRun(
        run_id=run_id or random_id(),
        strategy=request.strategy,
        method=request.method,
        objective=request.objective,
        search_space=request.space.as_dict(),
        walk_forward=request.walk_forward.as_dict() if request.walk_forward else None,
        settings={
            "trials": request.trials if request.method == "tpe" else None,
            "seed": request.seed if request.method == "tpe" else None,
            "candles": len(frame),
            "initial_cash": config.initial_cash,
            "fee_rate": config.fee_rate,
            "slippage_bps": config.slippage_bps,
        },
        created_ms=clock.now_ms(),
        trials=tuple(all_trials),
        best_params=best_params,
        best_score=best_score,
        windows=tuple(results),
        out_of_sample_metrics=stitch(parts, config.initial_cash) if parts else None,
        skipped=skipped,
    )
