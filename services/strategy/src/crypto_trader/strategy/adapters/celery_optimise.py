"""Celery entrypoint of optimisation runs: what ``ct optimise`` does, queued by the gateway.

Clients queue ``send_task(STRATEGY_OPTIMISE_TASK, args=[strategy, ranges, candles, options,
settings], queue=backtest_queue(infra))``: ``ranges`` are ``NAME=LOW:HIGH[:STEP]`` texts (as
``--param-range``), ``candles`` one market's ``[open_ms, open, high, low, close, volume]`` rows,
``options`` the backtest task's options, and ``settings`` any of ``OPTIMISE_SETTINGS``. The task
reports ``PROGRESS`` (trials done and total, the best trial so far), stores the run where the
strategy service keeps its tables and returns the run's summary (run id, best params, in- and
out-of-sample metrics). Bad input fails the task with an ``InvalidInput`` and no traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from celery import Celery
from celery.exceptions import Ignore

from crypto_trader.common.clock import LiveClock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.settings import InfraSettings
from crypto_trader.strategy.adapters.celery_trials import CeleryTrials
from crypto_trader.strategy.adapters.optimisation_store import store_run
from crypto_trader.strategy.domain.backtesting.request import config_from_options, frame_from_rows
from crypto_trader.strategy.domain.optimisation import (
    DEFAULT_GRID_CAP,
    Trial,
    WalkForwardConfig,
    best_trial,
)
from crypto_trader.strategy.optimiser import (
    LocalTrials,
    OptimiseRequest,
    TrialBackend,
    optimise,
    search_space_for,
)

STRATEGY_OPTIMISE_TASK = "strategy.optimise"
OPTIMISE_SETTINGS = (
    "params",  # fixed values of the parameters not searched
    "method",  # grid or tpe
    "objective",
    "trials",  # TPE trials per search
    "seed",
    "walk_forward",  # "IS:OOS" window sizes in candles
    "anchored",
    "max_grid",
    "backend",  # local (processes of this worker) or celery (the trials queue's workers)
    "workers",  # local processes
    "worker_timeout",  # seconds a trial chunk may wait for a Celery worker
)
BACKENDS = ("local", "celery")
# Seconds between two PROGRESS updates: a grid of small trials would otherwise write per trial.
PROGRESS_INTERVAL = 0.1


class OptimiseReporter(Protocol):
    """The part of a bound Celery task the optimise entrypoint uses."""

    def update_state(self, *, state: str, meta: dict[str, Any]) -> None: ...


def _int(settings: Mapping[str, object], name: str, default: int) -> int:
    value = settings.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{name} must be an integer, got {value!r}")
    return value


def _positive(settings: Mapping[str, object], name: str, default: float) -> float:
    value = settings.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidInput(f"{name} must be a positive number, got {value!r}")
    return float(value)


def optimise_request(
    strategy: str,
    ranges: Sequence[str],
    options: Mapping[str, object],
    settings: Mapping[str, object],
) -> OptimiseRequest:
    """Build the request of a queued optimisation from its JSON arguments.

    Raises
    ------
    InvalidInput
        On an unknown setting, strategy, parameter, method or objective, or a bad value.
    """
    unknown = sorted(set(settings) - set(OPTIMISE_SETTINGS))
    if unknown:
        raise InvalidInput(
            f"unknown optimisation setting {unknown[0]!r}; known: {', '.join(OPTIMISE_SETTINGS)}"
        )
    if not isinstance(ranges, list) or not all(isinstance(text, str) for text in ranges):
        raise InvalidInput("ranges must be a list of NAME=LOW:HIGH[:STEP] texts")
    fixed = settings.get("params") or {}
    if not isinstance(fixed, Mapping):
        raise InvalidInput("params must map parameter names to values")
    walk_forward = settings.get("walk_forward")
    if walk_forward is not None and not isinstance(walk_forward, str):
        raise InvalidInput(f"walk_forward must be 'IS:OOS', got {walk_forward!r}")
    request = OptimiseRequest(
        strategy=strategy,
        space=search_space_for(strategy, ranges, fixed),
        method=str(settings.get("method", "grid")),
        objective=str(settings.get("objective", "sharpe")),
        trials=_int(settings, "trials", 50),
        seed=_int(settings, "seed", 0),
        walk_forward=WalkForwardConfig.parse(walk_forward, anchored=bool(settings.get("anchored")))
        if walk_forward
        else None,
        config=config_from_options(options),
        workers=_int(settings, "workers", 1),
        grid_cap=_int(settings, "max_grid", DEFAULT_GRID_CAP),
    )
    request.check()
    return request


def _progress(task: OptimiseReporter) -> tuple[Callable[[Trial], None], Callable[[int, int], None]]:
    best: list[Trial] = []
    last = [0.0]

    def on_trial(trial: Trial) -> None:
        leader = best_trial([*best, trial])
        best[:] = [leader] if leader is not None else []

    def on_progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < PROGRESS_INTERVAL:
            return
        last[0] = now
        leader = best[0] if best else None
        meta = {
            "done": done,
            "total": total,
            "best_score": None if leader is None else leader.score,
            "best_params": None if leader is None else leader.params,
        }
        task.update_state(state="PROGRESS", meta=meta)

    return on_trial, on_progress


def run_optimisation(
    task: OptimiseReporter,
    infra: InfraSettings,
    backends: Mapping[str, Callable[[OptimiseRequest, float], TrialBackend]],
    args: tuple[str, Sequence[str], Sequence[Sequence[object]], Mapping[str, object] | None],
    settings: Mapping[str, object] | None,
) -> dict[str, Any]:
    """Optimise on the rows, store the run and return its summary (see the module's doc)."""
    strategy, ranges, candles, options = args
    settings = settings or {}
    request = optimise_request(strategy, ranges, options or {}, settings)
    backend_name = str(settings.get("backend", "local"))
    if backend_name not in backends:
        raise InvalidInput(f"unknown backend {backend_name!r}; known: {', '.join(backends)}")
    backend = backends[backend_name](request, _positive(settings, "worker_timeout", 30.0))
    frame = frame_from_rows(candles)
    on_trial, on_progress = _progress(task)
    run = optimise(
        frame,
        request,
        clock=LiveClock(),
        on_progress=on_progress,
        on_trial=on_trial,
        backend=backend,
    )
    store_run(run, infra.database_url_for("strategy"))
    return run.summary()


def register_optimise_task(app: Celery, infra: InfraSettings) -> None:
    """Register the optimisation task; its ``celery`` backend sends trials through ``app``."""
    backends: dict[str, Callable[[OptimiseRequest, float], TrialBackend]] = {
        "local": lambda request, _timeout: LocalTrials(request.workers),
        "celery": lambda _request, timeout: CeleryTrials(app, infra, timeout=timeout),
    }

    def optimise_task(
        task: Any,
        strategy: str,
        ranges: Sequence[str],
        candles: Sequence[Sequence[object]],
        options: Mapping[str, object] | None = None,
        settings: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        try:
            args = (strategy, ranges, candles, options)
            return run_optimisation(task, infra, backends, args, settings)
        except InvalidInput as error:
            # The caller's mistake: store the reason alone, with no traceback of our code.
            task.backend.mark_as_failure(task.request.id, error, traceback=None)
            raise Ignore() from None

    app.task(name=STRATEGY_OPTIMISE_TASK, bind=True)(optimise_task)
