"""Optimisation trials evaluated by Celery workers: the candles shared once in Redis, trials
sent in chunk tasks, results collected in task order (so a run equals the local one)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from celery import Celery, states
from celery.result import AsyncResult
from redis import Redis, RedisError

from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.common.ids import random_id
from crypto_trader.common.settings import InfraSettings
from crypto_trader.common.sizing import Sizing
from crypto_trader.strategy.domain.backtesting import BacktestConfig
from crypto_trader.strategy.domain.backtesting.costs import (
    FeeModel,
    FixedSlippage,
    SpreadSlippage,
    VolumeShareSlippage,
)
from crypto_trader.strategy.domain.indicators import CandleFrame
from crypto_trader.strategy.domain.optimisation import Trial, TrialTask, run_trial
from crypto_trader.strategy.optimiser import TrialEvaluator

TRIAL_CHUNK_TASK = "strategy.optimise_trials"
# Seconds the shared candles outlive their last batch: a crashed optimiser leaves no garbage.
FRAME_TTL_SECONDS = 3600
# A batch is cut into this many chunk tasks at most, so that several workers share it while
# each chunk still amortises a broker round trip over several trials.
CHUNKS_PER_BATCH = 16
_COLUMNS = (
    ("open_time_ms", np.int64),
    ("open", np.float64),
    ("high", np.float64),
    ("low", np.float64),
    ("close", np.float64),
    ("volume", np.float64),
)
_SLIPPAGE_TYPES: dict[str, type[Any]] = {
    "fixed": FixedSlippage,
    "spread": SpreadSlippage,
    "volume": VolumeShareSlippage,
}


def trials_queue(infra: InfraSettings) -> str:
    """Return the queue of trial chunks, prefixed so that runs sharing a Redis do not collide."""
    return f"{infra.redis_prefix}strategy.trials"


def config_to_json(config: BacktestConfig) -> dict[str, Any]:
    """Return a backtest config as JSON values that ``config_from_json`` rebuilds exactly.

    Raises
    ------
    InvalidInput
        When the config uses a slippage model that has no JSON form.
    """
    data = {
        item.name: getattr(config, item.name)
        for item in dataclasses.fields(config)
        if item.name not in {"sizing", "fee_model", "slippage_model"}
    }
    data["sizing"] = None if config.sizing is None else dataclasses.asdict(config.sizing)
    data["fee_model"] = None if config.fee_model is None else dataclasses.asdict(config.fee_model)
    model = config.slippage_model
    data["slippage_model"] = None
    if model is not None:
        kind = next((k for k, t in _SLIPPAGE_TYPES.items() if type(model) is t), None)
        if kind is None:
            raise InvalidInput(f"slippage model {type(model).__name__} cannot be sent to workers")
        data["slippage_model"] = {"type": kind, **dataclasses.asdict(model)}  # type: ignore[call-overload]
    return data


def config_from_json(data: Mapping[str, Any]) -> BacktestConfig:
    """Rebuild a backtest config from ``config_to_json`` output."""
    values = dict(data)
    sizing, fees, slippage = (values.pop(n) for n in ("sizing", "fee_model", "slippage_model"))
    if slippage is not None:
        slippage = dict(slippage)
        slippage = _SLIPPAGE_TYPES[slippage.pop("type")](**slippage)
    return BacktestConfig(
        **values,
        sizing=None if sizing is None else Sizing(**sizing),
        fee_model=None if fees is None else FeeModel(**fees),
        slippage_model=slippage,
    )


class RedisFrames:
    """Candle frames shared through Redis under the run's key prefix, cached once read.

    A key is written once and never changed, so a worker may keep what it read: a TPE run
    sends many small batches over the same candles.
    """

    def __init__(self, connect: Callable[[], Redis], prefix: str) -> None:
        self._connect = connect
        self._client: Redis | None = None
        self._prefix = prefix
        self._cache: dict[str, CandleFrame] = {}

    @property
    def client(self) -> Redis:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def put(self, frame: CandleFrame) -> str:
        """Store a frame for ``FRAME_TTL_SECONDS`` and return its key."""
        key = f"{self._prefix}strategy.optimise.candles:{random_id()}"
        columns = {name: getattr(frame, name).tobytes() for name, _ in _COLUMNS}
        with self.client.pipeline() as pipe:
            pipe.hset(key, mapping=columns)  # type: ignore[arg-type]
            pipe.expire(key, FRAME_TTL_SECONDS)
            pipe.execute()
        return key

    def touch(self, key: str) -> None:
        """Keep a frame for another ``FRAME_TTL_SECONDS``."""
        self.client.expire(key, FRAME_TTL_SECONDS)

    def delete(self, key: str) -> None:
        """Drop a frame (trials of it still queued then fail at once)."""
        self.client.delete(key)
        self._cache.pop(key, None)

    def get(self, key: str) -> CandleFrame:
        """Return a stored frame.

        Raises
        ------
        InvalidInput
            When the key is not one of this prefix's frames, or has expired.
        """
        if not key.startswith(f"{self._prefix}strategy.optimise.candles:"):
            raise InvalidInput(f"{key!r} is not a candle key of this deployment")
        frame = self._cache.get(key)
        if frame is not None:
            return frame
        stored: dict[bytes, bytes] = self.client.hgetall(key)  # type: ignore[assignment]
        if not stored:
            raise InvalidInput(f"candles {key!r} have expired or were never stored")
        columns: dict[str, Any] = {
            name: np.frombuffer(stored[name.encode()], dtype=dtype) for name, dtype in _COLUMNS
        }
        frame = CandleFrame(**columns)
        # One run at a time per worker in practice: keep the latest frame only.
        self._cache = {key: frame}
        return frame


def _task_json(task: TrialTask) -> list[Any]:
    return [task.number, task.window, task.strategy, dict(task.params), task.start, task.end]


def _trial(data: Mapping[str, Any]) -> Trial:
    return Trial(data["number"], data["window"], data["params"], data["metrics"], data["score"])


def run_trial_chunk(
    frames: RedisFrames,
    frame_key: str,
    config: Mapping[str, Any],
    objective: str,
    tasks: Sequence[Sequence[Any]],
) -> list[dict[str, object]]:
    """Backtest a chunk of trials on shared candles and return them as JSON dicts."""
    frame = frames.get(frame_key)
    backtest_config = config_from_json(config)
    return [
        run_trial(TrialTask(*task), frame, backtest_config, objective).as_dict() for task in tasks
    ]


def register_trial_task(app: Celery, infra: InfraSettings) -> None:
    """Register the chunk task on a worker's app; its Redis connection opens on first use."""
    frames = RedisFrames(lambda: Redis.from_url(infra.redis_url), infra.redis_prefix)

    def run_chunk(
        frame_key: str,
        config: Mapping[str, Any],
        objective: str,
        tasks: Sequence[Sequence[Any]],
    ) -> list[dict[str, object]]:
        return run_trial_chunk(frames, frame_key, config, objective, tasks)

    app.task(name=TRIAL_CHUNK_TASK)(run_chunk)


class CeleryTrials:
    """Evaluate trials on the strategy workers listening to the trials queue.

    ``timeout`` bounds how long a chunk may wait for a worker to take it: with no worker (or
    none free) the run fails with a RetryableError instead of hanging.
    """

    def __init__(self, app: Celery, infra: InfraSettings, *, timeout: float = 30.0) -> None:
        self._app = app
        self._queue = trials_queue(infra)
        self._frames = RedisFrames(lambda: Redis.from_url(infra.redis_url), infra.redis_prefix)
        self._timeout = timeout

    @contextmanager
    def open(
        self, frame: CandleFrame, config: BacktestConfig, objective: str
    ) -> Iterator[TrialEvaluator]:
        """Share the candles in Redis for the block's lifetime and yield a Celery evaluator."""
        config_json = config_to_json(config)
        try:
            key = self._frames.put(frame)
        except RedisError as error:
            raise RetryableError(f"cannot share the candles with the workers: {error}") from None
        try:

            def evaluate(tasks: Sequence[TrialTask]) -> Iterator[Trial]:
                self._frames.touch(key)
                return self._evaluate(key, config_json, objective, tasks)

            yield evaluate
        finally:
            self._frames.delete(key)

    def _evaluate(
        self,
        key: str,
        config: dict[str, Any],
        objective: str,
        tasks: Sequence[TrialTask],
    ) -> Iterator[Trial]:
        size = max(1, math.ceil(len(tasks) / CHUNKS_PER_BATCH))
        sent = [
            self._app.send_task(
                TRIAL_CHUNK_TASK,
                args=[key, config, objective, [_task_json(t) for t in tasks[i : i + size]]],
                queue=self._queue,
                # A chunk nobody took in time is dropped, not run for a caller that gave up.
                expires=FRAME_TTL_SECONDS,
            )
            for i in range(0, len(tasks), size)
        ]
        try:
            for result in sent:
                yield from (_trial(item) for item in self._wait(result))
        finally:
            for result in sent:
                result.forget()

    def _wait(self, result: AsyncResult) -> list[dict[str, Any]]:
        waiting_since = time.monotonic()
        pause = 0.001
        while True:
            state = result.state
            if state in states.READY_STATES:
                # Also called inside the optimisation task, which Celery would refuse by default.
                value: list[dict[str, Any]] = result.get(disable_sync_subtasks=False)
                return value
            if state != states.PENDING:
                # A worker has it: wait for as long as it takes.
                waiting_since = time.monotonic()
            elif time.monotonic() - waiting_since > self._timeout:
                raise RetryableError(
                    f"no strategy worker took the optimisation trials within {self._timeout:g} s "
                    f"(queue {self._queue}); start one with python -m crypto_trader.strategy.worker"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
