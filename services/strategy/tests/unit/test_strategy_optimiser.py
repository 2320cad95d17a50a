"""The optimiser use case: grid and TPE searches, walk-forward, parallel runs equal inline ones."""

from __future__ import annotations

import math

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.backtesting import BacktestConfig
from crypto_trader.strategy.domain.framework import SmaCross
from crypto_trader.strategy.domain.indicators import CandleFrame
from crypto_trader.strategy.domain.optimisation import (
    WalkForwardConfig,
    best_trial,
    build_search_space,
)
from crypto_trader.strategy.optimiser import OptimiseRequest, optimise

PARAMETERS = SmaCross.schema()["parameters"]


def _frame(count: int = 1200) -> CandleFrame:
    rows = []
    for index in range(count):
        # Two cycles plus a slow drift: crosses at many periods, some profitable, some not.
        close = 100 + 8 * math.sin(index / 23) + 3 * math.sin(index / 7.3) + index * 0.004
        rows.append([1_600_000_000_000 + index * 300_000, close, close + 1, close - 1, close, 1])
    return CandleFrame.from_rows(rows)


def _request(**overrides: object) -> OptimiseRequest:
    values: dict[str, object] = {
        "strategy": "sma_cross",
        "space": build_search_space(PARAMETERS, ["fast=4:16:4", "slow=8:40:8"]),  # type: ignore[arg-type]
        "config": BacktestConfig(fee_rate=0.0005),
    }
    values.update(overrides)
    return OptimiseRequest(**values)  # type: ignore[arg-type]


def _run(request: OptimiseRequest, frame: CandleFrame | None = None):
    return optimise(frame or _frame(), request, clock=FakeClock(1_700_000_000_000), run_id="r1")


class TestGridSearch:
    def test_tries_every_valid_combination_once_and_skips_the_invalid_ones(self) -> None:
        progress: list[tuple[int, int]] = []

        run = optimise(
            _frame(),
            _request(),
            clock=FakeClock(5),
            run_id="r1",
            on_progress=lambda *p: progress.append(p),
        )

        tried = [(trial.params["fast"], trial.params["slow"]) for trial in run.trials]
        expected = [(f, s) for f in (4, 8, 12, 16) for s in (8, 16, 24, 32, 40) if f < s]
        assert tried == expected
        assert run.skipped == 20 - len(expected)
        assert progress[-1] == (len(expected), len(expected))
        best = best_trial(run.trials)
        assert best is not None and run.best_params == best.params
        assert run.best_score == max(t.score for t in run.trials if t.score is not None)
        assert run.created_ms == 5 and run.windows == () and run.out_of_sample_metrics is None

    def test_space_without_a_valid_combination_is_invalid_input(self) -> None:
        space = build_search_space(PARAMETERS, ["fast=30:40:10", "slow=10:20:10"])  # type: ignore[arg-type]

        with pytest.raises(InvalidInput, match="no valid parameter combination"):
            _run(_request(space=space))


class TestTpeSearch:
    def test_same_seed_gives_the_same_trials(self) -> None:
        space = build_search_space(PARAMETERS, ["fast=2:30", "slow=5:80"])  # type: ignore[arg-type]
        request = _request(space=space, method="tpe", trials=20, seed=7)

        first, second = _run(request), _run(request)
        other = _run(_request(space=space, method="tpe", trials=20, seed=8))

        assert [t.params for t in first.trials] == [t.params for t in second.trials]
        assert [t.score for t in first.trials] == [t.score for t in second.trials]
        assert [t.params for t in other.trials] != [t.params for t in first.trials]
        assert len(first.trials) == 20

    def test_never_backtests_a_combination_the_strategy_rejects(self) -> None:
        space = build_search_space(PARAMETERS, ["fast=2:60", "slow=5:60"])  # type: ignore[arg-type]

        run = _run(_request(space=space, method="tpe", trials=16, seed=1))

        assert all(t.params["fast"] < t.params["slow"] for t in run.trials)
        assert run.skipped > 0


class TestWalkForward:
    def test_reports_in_and_out_of_sample_per_window_and_the_stitched_summary(self) -> None:
        run = _run(_request(walk_forward=WalkForwardConfig(400, 200)))

        assert [(w.window.in_sample_start, w.window.out_of_sample_end) for w in run.windows] == [
            (0, 600),
            (200, 800),
            (400, 1000),
            (600, 1200),
        ]
        for result in run.windows:
            in_window = [t for t in run.trials if t.window == result.window.index]
            best = best_trial(in_window)
            assert best is not None and result.best_params == best.params
            assert result.in_sample_score == best.score
            assert result.out_of_sample_metrics["sharpe"] == result.out_of_sample_score
        assert run.best_params == run.windows[-1].best_params
        assert run.out_of_sample_metrics is not None
        # The stitched curve compounds each window's out-of-sample return.
        growth = math.prod(1 + w.out_of_sample_metrics["total_return"] for w in run.windows)  # type: ignore[operator]
        assert run.out_of_sample_metrics["total_return"] == pytest.approx(growth - 1)

    def test_a_window_never_sees_candles_after_its_out_of_sample_end(self) -> None:
        frame = _frame()
        full = _run(_request(walk_forward=WalkForwardConfig(400, 200)), frame)

        # Drop everything after the second window: its results must not change.
        truncated = _run(
            _request(walk_forward=WalkForwardConfig(400, 200)),
            frame.head(800),
        )

        assert truncated.windows == full.windows[:2]


class TestParallel:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"walk_forward": WalkForwardConfig(500, 300, anchored=True)},
            {"method": "tpe", "trials": 12, "seed": 3},
        ],
        ids=["grid-walk-forward", "tpe"],
    )
    def test_two_workers_give_the_inline_results(self, overrides: dict[str, object]) -> None:
        inline = _run(_request(workers=1, **overrides))

        parallel = _run(_request(workers=2, **overrides))

        assert parallel == inline

    def test_rejects_bad_requests(self) -> None:
        for overrides, message in [
            ({"method": "random"}, "unknown method"),
            ({"objective": "alpha"}, "unknown objective"),
            ({"workers": 0}, "workers must be >= 1"),
            ({"strategy": "nope"}, "unknown strategy"),
        ]:
            with pytest.raises(InvalidInput, match=message):
                _run(_request(**overrides))
