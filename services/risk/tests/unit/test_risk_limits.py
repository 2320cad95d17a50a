"""Pre-trade limits: a buy is approved only if the position stays within its notional limit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.model import Side
from crypto_trader.common.protective_exit import ExitHints
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
            "max_position_notional exceeded: |position 0.1 + quantity 0.05| * price 20000"
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

    @pytest.mark.parametrize("action", [SignalAction.ENTER_SHORT])
    def test_short_entries_are_rejected_naming_the_market_when_shorting_is_off(
        self, action: SignalAction
    ) -> None:
        decision = assess_signal(
            action, Decimal("20000"), Decimal(0), LIMITS, market="binance:BTC/USDT"
        )

        assert not decision.approved
        assert decision.reason == "shorting disabled for binance:BTC/USDT"


SHORTS = RiskLimits(Decimal(1000), Decimal("0.00001"), Decimal(2500), allow_short=True)


class TestShorts:
    def test_a_short_entry_sells_the_order_notional(self) -> None:
        decision = assess_signal(SignalAction.ENTER_SHORT, Decimal("20000"), Decimal(0), SHORTS)

        assert (decision.approved, decision.side, decision.quantity) == (
            True,
            Side.SELL,
            Decimal("0.05"),
        )

    def test_the_max_position_applies_to_the_absolute_size(self) -> None:
        price = Decimal("20000")

        second = assess_signal(SignalAction.ENTER_SHORT, price, Decimal("-0.05"), SHORTS)
        third = assess_signal(SignalAction.ENTER_SHORT, price, Decimal("-0.1"), SHORTS)

        assert second.approved
        assert not third.approved
        assert "|position -0.1 - quantity 0.05| * price 20000 = 3000 > 2500" in third.reason

    def test_a_long_entry_may_reduce_a_short(self) -> None:
        decision = assess_signal(SignalAction.ENTER_LONG, Decimal("20000"), Decimal("-0.1"), SHORTS)

        assert (decision.approved, decision.side) == (True, Side.BUY)

    def test_exit_short_buys_back_the_whole_short(self) -> None:
        decision = assess_signal(
            SignalAction.EXIT_SHORT, Decimal("20000"), Decimal("-0.07"), SHORTS
        )

        assert (decision.approved, decision.side, decision.quantity) == (
            True,
            Side.BUY,
            Decimal("0.07"),
        )

    @pytest.mark.parametrize("position", [Decimal(0), Decimal("0.05")])
    def test_exit_short_without_a_short_is_rejected(self, position: Decimal) -> None:
        decision = assess_signal(SignalAction.EXIT_SHORT, Decimal("20000"), position, SHORTS)

        assert decision.reason == "no short position to cover"

    def test_exit_long_while_short_is_rejected(self) -> None:
        decision = assess_signal(SignalAction.EXIT_LONG, Decimal("20000"), Decimal("-1"), SHORTS)

        assert decision.reason == "no position to close"


class TestExitHints:
    @pytest.mark.parametrize(
        ("action", "hints", "problem"),
        [
            (SignalAction.ENTER_LONG, ExitHints(stop_loss=Decimal(21000)), "stop_loss 21000"),
            (SignalAction.ENTER_LONG, ExitHints(take_profit=Decimal(19000)), "take_profit 19000"),
            (SignalAction.ENTER_LONG, ExitHints(trailing_stop=Decimal(20000)), "trailing_stop"),
            (SignalAction.ENTER_SHORT, ExitHints(stop_loss=Decimal(19000)), "stop_loss 19000"),
            (SignalAction.ENTER_SHORT, ExitHints(take_profit=Decimal(21000)), "take_profit"),
        ],
    )
    def test_a_hint_on_the_wrong_side_of_the_price_is_rejected(
        self, action: SignalAction, hints: ExitHints, problem: str
    ) -> None:
        decision = assess_signal(action, Decimal("20000"), Decimal(0), SHORTS, hints=hints)

        assert not decision.approved
        assert problem in decision.reason and "wrong side of the price 20000" in decision.reason

    def test_hints_on_the_right_side_travel_with_the_approval(self) -> None:
        hints = ExitHints(Decimal(19000), Decimal(23000), Decimal(19800))

        decision = assess_signal(
            SignalAction.ENTER_LONG, Decimal("20000"), Decimal(0), LIMITS, hints=hints
        )

        assert decision.approved and decision.hints == hints

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
