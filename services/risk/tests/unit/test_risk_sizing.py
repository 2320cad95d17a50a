"""Position sizing: round down to the exchange step, never up; close the whole long position."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side
from crypto_trader.common.sizing import round_down_to_step
from crypto_trader.risk.domain.sizing import size_entry, size_exit

positive_prices = st.decimals(
    min_value=Decimal("0.00000001"), max_value=Decimal("1000000"), places=8
)
notionals = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
steps = st.sampled_from(
    [Decimal("1"), Decimal("0.1"), Decimal("0.001"), Decimal("0.00001"), Decimal("0.5")]
)


class TestRoundDownToStep:
    @pytest.mark.parametrize(
        ("quantity", "step", "expected"),
        [
            ("0.0510204", "0.00001", "0.05102"),
            ("0.05102", "0.00001", "0.05102"),
            ("7.9", "0.5", "7.5"),
            ("0.000009", "0.00001", "0"),
        ],
    )
    def test_rounds_down_to_a_whole_number_of_steps(
        self, quantity: str, step: str, expected: str
    ) -> None:
        assert round_down_to_step(Decimal(quantity), Decimal(step)) == Decimal(expected)

    def test_refuses_a_non_positive_step(self) -> None:
        with pytest.raises(InvalidInput):
            round_down_to_step(Decimal(1), Decimal(0))


class TestSizeEntry:
    def test_buys_the_order_notional_at_the_reference_price_rounded_down(self) -> None:
        decision = size_entry(Decimal(1000), Decimal("19600"), Decimal("0.00001"))

        assert decision.approved
        assert decision.side is Side.BUY
        assert decision.quantity == Decimal("0.05102")  # 1000 / 19600 = 0.0510204...

    def test_rejects_when_the_quantity_rounds_down_to_zero(self) -> None:
        decision = size_entry(Decimal(1000), Decimal("200000000"), Decimal("0.00001"))

        assert not decision.approved
        assert decision.reason == (
            "quantity rounds down to 0: order_notional 1000 / price 200000000"
            " at quantity_step 0.00001"
        )

    def test_refuses_a_non_positive_price(self) -> None:
        with pytest.raises(InvalidInput):
            size_entry(Decimal(1000), Decimal(0), Decimal("0.00001"))

    @settings(max_examples=300, deadline=None)
    @given(notionals, positive_prices, steps)
    def test_quantity_is_a_positive_multiple_of_step_within_the_notional(
        self, notional: Decimal, price: Decimal, step: Decimal
    ) -> None:
        decision = size_entry(notional, price, step)

        if decision.approved:
            assert decision.quantity is not None
            assert decision.quantity > 0
            assert decision.quantity % step == 0
            assert decision.quantity * price <= notional
            # rounding down by less than one step: one more step would exceed the notional
            assert (decision.quantity + step) * price > notional
        else:
            assert step * price > notional


class TestSizeExit:
    def test_sells_the_whole_long_position(self) -> None:
        decision = size_exit(Decimal("0.05102"))

        assert (decision.approved, decision.side, decision.quantity) == (
            True,
            Side.SELL,
            Decimal("0.05102"),
        )

    @pytest.mark.parametrize("position", ["0", "-0.1"])
    def test_rejects_when_there_is_no_long_position(self, position: str) -> None:
        decision = size_exit(Decimal(position))

        assert not decision.approved
        assert decision.reason == "no position to close"
