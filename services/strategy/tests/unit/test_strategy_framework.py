"""The strategy framework: parameter schema and parsing, registry, vectorised = event signals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework import (
    Signal,
    create_strategy,
    cross_kernel,
    strategy_class,
    strategy_schemas,
)
from crypto_trader.strategy.domain.indicators import CandleFrame


def _random_walk(seed: int, count: int, *, flat: bool = False) -> CandleFrame:
    rng = np.random.default_rng(seed)
    steps = rng.integers(-2, 3, count) if flat else rng.normal(0, 1, count)
    close = 1000.0 + np.cumsum(steps) * (1.0 if flat else 0.5)
    opens = np.concatenate((close[:1], close[:-1]))
    times = np.arange(count, dtype=np.int64) * 60_000
    return CandleFrame(
        times, opens, np.maximum(opens, close), np.minimum(opens, close), close, np.ones(count)
    )


def _event_signals(name: str, params: dict[str, object], frame: CandleFrame) -> list[Signal | None]:
    strategy = create_strategy(name, params)
    return [strategy.on_candle(frame.bar(index)) for index in range(len(frame))]


class TestParameters:
    def test_schema_lists_typed_parameters_with_defaults_and_bounds(self) -> None:
        schemas = {schema["name"]: schema for schema in strategy_schemas()}

        sma = schemas["sma_cross"]["parameters"]

        assert {"sma_cross", "ema_cross"} <= set(schemas)
        assert sma[0] == {  # type: ignore[index]
            "name": "fast",
            "type": "int",
            "default": 20,
            "min": 1,
            "max": 10_000,
            "description": "Period of the fast average.",
        }
        assert [p["name"] for p in sma] == ["fast", "slow", "short"]  # type: ignore[union-attr]

    def test_parses_strings_and_fills_defaults(self) -> None:
        strategy = create_strategy("ema_cross", {"fast": "5", "short": "true"})

        assert strategy.params == {"fast": 5, "slow": 26, "short": True}
        assert strategy.warmup == 26

    @pytest.mark.parametrize(
        ("params", "message"),
        [
            ({"fast": "x"}, "must be int"),
            ({"fast": "2.5"}, "must be int"),
            ({"fast": 0}, ">= 1"),
            ({"slow": 10_001}, "<= 10000"),
            ({"fast": 30, "slow": 20}, "shorter than slow"),
            ({"short": "maybe"}, "must be bool"),
            ({"speed": 3}, "unknown parameter 'speed'"),
        ],
    )
    def test_rejects_bad_parameters(self, params: dict[str, object], message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            create_strategy("sma_cross", params)

    def test_rejects_unknown_strategy(self) -> None:
        with pytest.raises(InvalidInput, match="unknown strategy 'nope'"):
            strategy_class("nope")


class TestSignals:
    def test_sma_cross_enters_on_cross_above_and_exits_on_cross_below(self) -> None:
        close = np.array([5, 4, 3, 2, 3, 4, 5, 4, 3, 2], dtype=np.float64)
        frame = CandleFrame(np.arange(10, dtype=np.int64), close, close, close, close, close)

        signals = create_strategy("sma_cross", {"fast": 1, "slow": 3}).generate(frame)

        assert np.flatnonzero(signals.enter_long).tolist() == [4]
        assert np.flatnonzero(signals.exit_long).tolist() == [7]
        assert not signals.enter_short.any()

    @settings(max_examples=40, deadline=None)
    @given(
        name=st.sampled_from(["sma_cross", "ema_cross"]),
        fast=st.integers(1, 15),
        extra=st.integers(1, 30),
        seed=st.integers(0, 2**32 - 1),
        count=st.integers(0, 400),
        short=st.booleans(),
        flat=st.booleans(),
    )
    def test_vectorised_path_equals_event_path(
        self, name: str, fast: int, extra: int, seed: int, count: int, short: bool, flat: bool
    ) -> None:
        params: dict[str, object] = {"fast": fast, "slow": fast + extra, "short": short}
        frame = _random_walk(seed, count, flat=flat)

        vectorised = create_strategy(name, params).generate(frame)

        expected = [vectorised.at(index) for index in range(count)]
        assert _event_signals(name, params, frame) == expected
        assert not np.any(vectorised.active() < fast + extra)


def _numpy_crosses(fast: np.ndarray, slow: np.ndarray, first: int) -> tuple[list[int], list[int]]:
    relation = (fast > slow).astype(np.int8) - (fast < slow).astype(np.int8)
    before, now = relation[first - 1 : -1], relation[first:]
    up = np.flatnonzero((before <= 0) & (now > 0)) + first
    down = np.flatnonzero((before >= 0) & (now < 0)) + first
    return up.tolist(), down.tolist()


class TestCrossKernel:
    @settings(max_examples=40, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), count=st.integers(3, 300), ties=st.booleans())
    def test_crosses_of_two_series_match_the_numpy_definition(
        self, seed: int, count: int, ties: bool
    ) -> None:
        rng = np.random.default_rng(seed)
        fast = rng.integers(0, 3, count).astype(np.float64) if ties else rng.normal(size=count)
        slow = rng.integers(0, 3, count).astype(np.float64) if ties else rng.normal(size=count)
        fast[: count // 10] = np.nan  # a warm-up compares as neither above nor below
        first = int(rng.integers(1, count))

        up, down = cross_kernel.crosses(fast, slow, first)

        assert (np.flatnonzero(up).tolist(), np.flatnonzero(down).tolist()) == _numpy_crosses(
            fast, slow, first
        )

    @settings(max_examples=40, deadline=None)
    @given(
        seed=st.integers(0, 2**32 - 1),
        fast=st.integers(1, 12),
        extra=st.integers(1, 40),
        flat=st.booleans(),
    )
    def test_one_pass_sma_crosses_equal_crosses_of_cumulative_sum_averages(
        self, seed: int, fast: int, extra: int, flat: bool
    ) -> None:
        close = _random_walk(seed, 2000, flat=flat).close
        slow = fast + extra
        running = np.concatenate(([0.0], np.cumsum(close)))
        averages = []
        for period in (fast, slow):
            average = np.full(len(close), np.nan)
            average[period - 1 :] = (running[period:] - running[:-period]) / period
            averages.append(average)

        up, down = cross_kernel.sma_crosses(close, fast, slow)

        expected = _numpy_crosses(averages[0], averages[1], slow)
        assert (np.flatnonzero(up).tolist(), np.flatnonzero(down).tolist()) == expected
