"""Pre-trade limits: a buy is approved only if the position stays within its notional limit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.model import Side
from crypto_trader.risk.domain.limits import RiskLimits, assess_signal, check_max_position
from crypto_trader.risk.domain.signal import SignalAction

LIMITS = RiskLimits(
    order_notional=Decimal(1000),
    quantity_step=Decimal("0.00001"),
    max_position_notional=Decimal(2500),
)


class TestCheckMaxPosition:
    def test_rejects_naming_the_limit_and_the_numbers(self) -> None:
        decision = check_max_position(
            Decimal("0.1"), Decimal("0.05"), Decimal("20000"), Decimal(2500)
        )

        assert not decision.approved
        assert decision.reason == (
            "max_position_notional exceeded: (position 0.1 + quantity 0.05) * price 20000"
            " = 3000 > 2500"
        )

    def test_allows_a_position_exactly_at_the_limit(self) -> None:
        decision = check_max_position(
            Decimal("0.075"), Decimal("0.05"), Decimal("20000"), Decimal(2500)
        )

        assert decision.approved


class TestAssessSignal:
    def test_two_entries_fit_and_the_third_breaks_the_limit(self) -> None:
        price = Decimal("20000")

        first = assess_signal(SignalAction.ENTER_LONG, price, Decimal(0), LIMITS)
        second = assess_signal(SignalAction.ENTER_LONG, price, Decimal("0.05"), LIMITS)
        third = assess_signal(SignalAction.ENTER_LONG, price, Decimal("0.1"), LIMITS)

        assert (first.approved, first.quantity) == (True, Decimal("0.05"))
        assert (second.approved, second.quantity) == (True, Decimal("0.05"))
        assert not third.approved
        assert "max_position_notional" in third.reason and "3000 > 2500" in third.reason

    def test_exit_sells_the_whole_position_whatever_its_size(self) -> None:
        decision = assess_signal(
            SignalAction.EXIT_LONG, Decimal("20000"), Decimal("1.23456789"), LIMITS
        )

        assert (decision.approved, decision.side, decision.quantity) == (
            True,
            Side.SELL,
            Decimal("1.23456789"),
        )

    def test_exit_when_flat_is_rejected(self) -> None:
        decision = assess_signal(SignalAction.EXIT_LONG, Decimal("20000"), Decimal(0), LIMITS)

        assert decision.reason == "no position to close"

    @pytest.mark.parametrize("action", [SignalAction.ENTER_SHORT, SignalAction.EXIT_SHORT])
    def test_short_signals_are_rejected(self, action: SignalAction) -> None:
        decision = assess_signal(action, Decimal("20000"), Decimal(0), LIMITS)

        assert not decision.approved
        assert "long only" in decision.reason

    @settings(max_examples=400, deadline=None)
    @given(
        price=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("200000"), places=4),
        position=st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=5),
        order_notional=st.decimals(min_value=Decimal(1), max_value=Decimal(10_000), places=2),
        max_notional=st.decimals(min_value=Decimal(1), max_value=Decimal(50_000), places=2),
        step=st.sampled_from([Decimal("0.00001"), Decimal("0.001"), Decimal("1")]),
    )
    def test_an_approved_entry_never_takes_the_position_over_the_limit(
        self,
        price: Decimal,
        position: Decimal,
        order_notional: Decimal,
        max_notional: Decimal,
        step: Decimal,
    ) -> None:
        limits = RiskLimits(order_notional, step, max_notional)

        decision = assess_signal(SignalAction.ENTER_LONG, price, position, limits)

        if decision.approved:
            assert decision.quantity is not None
            assert (position + decision.quantity) * price <= max_notional
            assert decision.quantity % step == 0
            assert decision.quantity > 0
        else:
            assert decision.reason
