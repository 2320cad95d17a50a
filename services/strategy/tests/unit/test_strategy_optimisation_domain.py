"""Search spaces, objectives and walk-forward windows of the optimiser (pure domain)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework import SmaCross
from crypto_trader.strategy.domain.optimisation import (
    WalkForwardConfig,
    Window,
    build_search_space,
    parse_dimension,
    rank_trials,
    score,
    valid_params,
    walk_forward_windows,
)
from crypto_trader.strategy.domain.optimisation.evaluation import Trial

PARAMETERS = SmaCross.schema()["parameters"]
SCHEMA = {parameter["name"]: parameter for parameter in PARAMETERS}  # type: ignore[index]


class TestSearchSpace:
    def test_grid_enumerates_the_cartesian_product_in_order(self) -> None:
        space = build_search_space(PARAMETERS, ["fast=5:15:5", "slow=20:40:10"])  # type: ignore[arg-type]

        points = list(space.grid())

        assert points == [
            {"fast": fast, "slow": slow} for fast in (5, 10, 15) for slow in (20, 30, 40)
        ]
        assert space.grid_size() == 9

    def test_bool_dimension_and_fixed_values_join_every_point(self) -> None:
        space = build_search_space(
            PARAMETERS,  # type: ignore[arg-type]
            ["fast=5:6", "short=bool"],
            {"slow": 30},
        )

        assert list(space.grid()) == [
            {"slow": 30, "fast": 5, "short": False},
            {"slow": 30, "fast": 5, "short": True},
            {"slow": 30, "fast": 6, "short": False},
            {"slow": 30, "fast": 6, "short": True},
        ]

    def test_float_steps_do_not_drift(self) -> None:
        schema = {"rate": {"name": "rate", "type": "float", "min": 0.0, "max": 1.0}}

        assert parse_dimension("rate=0.1:0.5:0.1", schema).values() == [0.1, 0.2, 0.3, 0.4, 0.5]

    def test_high_snaps_down_to_the_step_lattice(self) -> None:
        dimension = parse_dimension("slow=20:205:10", SCHEMA)  # type: ignore[arg-type]

        assert (dimension.high, dimension.values()[-1]) == (200, 200)

    def test_refuses_a_grid_over_the_cap_with_its_size(self) -> None:
        space = build_search_space(PARAMETERS, ["fast=1:100", "slow=2:200"])  # type: ignore[arg-type]

        with pytest.raises(InvalidInput, match="grid has 19900 points, more than the cap of 1000"):
            list(space.grid(cap=1000))

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("fast", "NAME=LOW:HIGH"),
            ("speed=1:5", "unknown parameter 'speed'"),
            ("fast=a:5", "not a valid int"),
            ("fast=9:5", "low 9 is above high 5"),
            ("fast=1:5:0", "step must be positive"),
            ("fast=0:5", "below the minimum 1"),
            ("short=1:2", "takes short=bool"),
        ],
    )
    def test_rejects_bad_ranges(self, text: str, message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            parse_dimension(text, SCHEMA)  # type: ignore[arg-type]

    def test_grid_of_a_float_range_needs_a_step(self) -> None:
        schema = {"rate": {"name": "rate", "type": "float"}}

        with pytest.raises(InvalidInput, match="needs a step"):
            parse_dimension("rate=0.1:0.5", schema).values()

    def test_constraint_check_rejects_fast_not_shorter_than_slow(self) -> None:
        assert valid_params("sma_cross", {"fast": 5, "slow": 20})
        assert not valid_params("sma_cross", {"fast": 20, "slow": 20})


class TestObjective:
    def test_reads_the_named_metric_and_treats_undefined_as_none(self) -> None:
        metrics = {"sharpe": 1.5, "calmar": None, "total_return": math.nan, "profit_factor": 2}

        assert score(metrics, "sharpe") == 1.5
        assert score(metrics, "calmar") is None
        assert score(metrics, "total_return") is None
        assert score(metrics, "profit_factor") == 2.0

    def test_unknown_objective_is_invalid_input(self) -> None:
        with pytest.raises(InvalidInput, match="unknown objective 'alpha'"):
            score({}, "alpha")

    def test_undefined_scores_rank_last_and_ties_go_to_the_earlier_trial(self) -> None:
        trials = [
            Trial(0, None, {}, {}, None),
            Trial(1, None, {}, {}, 0.5),
            Trial(2, None, {}, {}, 2.0),
            Trial(3, None, {}, {}, 0.5),
        ]

        assert [trial.number for trial in rank_trials(trials)] == [2, 1, 3, 0]


class TestWalkForwardWindows:
    def test_rolling_windows_have_exact_boundaries(self) -> None:
        windows = walk_forward_windows(1000, WalkForwardConfig(400, 200))

        assert windows == [
            Window(0, 0, 400, 400, 600),
            Window(1, 200, 600, 600, 800),
            Window(2, 400, 800, 800, 1000),
        ]

    def test_anchored_windows_start_at_the_first_candle_and_drop_a_partial_tail(self) -> None:
        windows = walk_forward_windows(1099, WalkForwardConfig(400, 200, anchored=True))

        assert windows == [
            Window(0, 0, 400, 400, 600),
            Window(1, 0, 600, 600, 800),
            Window(2, 0, 800, 800, 1000),
        ]

    def test_too_few_candles_is_invalid_input(self) -> None:
        with pytest.raises(InvalidInput, match="needs at least 600 candles, the data has 599"):
            walk_forward_windows(599, WalkForwardConfig(400, 200))

    @pytest.mark.parametrize("text", ["400", "a:b", "0:100", "100:-1", "1:2:3"])
    def test_rejects_bad_window_sizes(self, text: str) -> None:
        with pytest.raises(InvalidInput):
            WalkForwardConfig.parse(text)

    @given(
        count=st.integers(2, 5000),
        in_sample=st.integers(1, 1000),
        out_of_sample=st.integers(1, 1000),
        anchored=st.booleans(),
    )
    def test_out_of_sample_follows_its_in_sample_without_overlap_or_lookahead(
        self, count: int, in_sample: int, out_of_sample: int, anchored: bool
    ) -> None:
        config = WalkForwardConfig(in_sample, out_of_sample, anchored)
        if in_sample + out_of_sample > count:
            with pytest.raises(InvalidInput):
                walk_forward_windows(count, config)
            return

        windows = walk_forward_windows(count, config)

        for window in windows:
            # In-sample ends exactly where out-of-sample starts: disjoint, and no future candle.
            assert window.in_sample_start < window.in_sample_end == window.out_of_sample_start
            assert window.out_of_sample_end - window.out_of_sample_start == out_of_sample
            assert window.out_of_sample_end <= count
            expected_length = window.in_sample_end if anchored else in_sample
            assert window.in_sample_end - window.in_sample_start == expected_length
        # Out-of-sample windows tile the data after the first in-sample part.
        assert windows[0].out_of_sample_start == in_sample
        for before, after in zip(windows, windows[1:], strict=False):
            assert before.out_of_sample_end == after.out_of_sample_start
        assert count - windows[-1].out_of_sample_end < out_of_sample
