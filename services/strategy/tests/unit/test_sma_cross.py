"""The SMA cross: event-driven and batch forms agree, and decisions are exact."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.sma_cross import SignalAction, SmaCross, sma_cross_signals


def _d(*values: str | int) -> list[Decimal]:
    return [Decimal(v) for v in values]


def _event_driven(closes: list[Decimal], fast: int, slow: int) -> list[tuple[int, str]]:
    cross = SmaCross(fast, slow)
    signals = []
    for index, close in enumerate(closes):
        action = cross.update(close)
        if action is not None:
            signals.append((index, action.value))
    return signals


def _fraction_reference(closes: list[Decimal], fast: int, slow: int) -> list[tuple[int, str]]:
    # Independent oracle: rational averages, recomputed from scratch at every candle.
    signals: list[tuple[int, str]] = []
    previous = None
    for index in range(slow - 1, len(closes)):
        fast_sma = sum(Fraction(c) for c in closes[index + 1 - fast : index + 1]) / fast
        slow_sma = sum(Fraction(c) for c in closes[index + 1 - slow : index + 1]) / slow
        current = (fast_sma > slow_sma) - (fast_sma < slow_sma)
        if previous is not None:
            if previous <= 0 < current:
                signals.append((index, "enter_long"))
            elif previous >= 0 > current:
                signals.append((index, "exit_long"))
        previous = current
    return signals


prices = st.decimals(
    min_value=Decimal("0.00000001"),
    max_value=Decimal("100000"),
    places=8,
    allow_nan=False,
    allow_infinity=False,
)


@st.composite
def series_and_periods(draw: st.DrawFn) -> tuple[list[Decimal], int, int]:
    slow = draw(st.integers(min_value=2, max_value=12))
    fast = draw(st.integers(min_value=1, max_value=slow - 1))
    # Few distinct values make ties (equal averages) common, the case floats get wrong.
    pool = draw(st.lists(prices, min_size=1, max_size=4))
    closes = draw(st.lists(st.sampled_from(pool) | prices, max_size=80))
    return closes, fast, slow


class TestSmaCrossSignals:
    def test_signals_a_hand_computed_series(self) -> None:
        closes = _d(1, 2, 3, 2, 1, 2, 3, 4, 1)

        signals = sma_cross_signals(closes, 1, 2)

        assert signals == [(3, "exit_long"), (5, "enter_long"), (8, "exit_long")]

    def test_gives_nothing_until_both_averages_exist_for_two_candles(self) -> None:
        closes = _d(5, 4, 3, 10)

        assert sma_cross_signals(closes, 1, 3) == [(3, "enter_long")]
        assert sma_cross_signals(closes[:3], 1, 3) == []

    def test_an_exact_tie_is_the_start_of_a_cross_even_where_floats_see_none(self) -> None:
        # fast SMA (period 1) against slow SMA (period 3): below, exactly equal
        # (0.15 == (0.2 + 0.1 + 0.15) / 3, which floats make 0.15000000000000002), below again.
        closes = _d("0.4", "0.2", "0.1", "0.15", "0.1")

        assert sma_cross_signals(closes, 1, 3) == [(4, "exit_long")]

    def test_rising_out_of_an_exact_tie_enters(self) -> None:
        closes = _d("0.4", "0.2", "0.1", "0.15", "0.4")

        assert sma_cross_signals(closes, 1, 3) == [(4, "enter_long")]

    @pytest.mark.parametrize(("fast", "slow"), [(0, 3), (3, 3), (4, 3), (-1, 2)])
    def test_rejects_invalid_periods(self, fast: int, slow: int) -> None:
        with pytest.raises(InvalidInput):
            sma_cross_signals(_d(1, 2, 3), fast, slow)
        with pytest.raises(InvalidInput):
            SmaCross(fast, slow)


class TestSmaCrossProperties:
    @settings(max_examples=300, deadline=None)
    @given(series_and_periods())
    def test_event_driven_instance_emits_exactly_the_batch_signals(
        self, case: tuple[list[Decimal], int, int]
    ) -> None:
        closes, fast, slow = case

        assert _event_driven(closes, fast, slow) == sma_cross_signals(closes, fast, slow)

    @settings(max_examples=150, deadline=None)
    @given(series_and_periods())
    def test_batch_signals_match_rational_arithmetic(
        self, case: tuple[list[Decimal], int, int]
    ) -> None:
        closes, fast, slow = case

        assert sma_cross_signals(closes, fast, slow) == _fraction_reference(closes, fast, slow)

    @settings(max_examples=150, deadline=None)
    @given(series_and_periods(), st.data())
    def test_warming_up_on_the_last_slow_closes_resumes_exactly(
        self, case: tuple[list[Decimal], int, int], data: st.DataObject
    ) -> None:
        closes, fast, slow = case
        split = data.draw(st.integers(min_value=0, max_value=len(closes)))
        resumed = SmaCross(fast, slow)

        resumed.warm_up(closes[max(0, split - slow) : split])
        later = [(split + i, a) for i, c in enumerate(closes[split:]) if (a := resumed.update(c))]

        expected = [(i, a) for i, a in sma_cross_signals(closes, fast, slow) if i >= split]
        assert later == expected

    def test_actions_compare_equal_to_their_wire_names(self) -> None:
        assert SignalAction.ENTER_LONG == "enter_long"
        assert SignalAction.EXIT_LONG == "exit_long"
