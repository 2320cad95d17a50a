"""The Order aggregate: legal transitions only, exact fill bookkeeping, each trade applied once."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from crypto_trader.common.errors import InvalidInput
from crypto_trader.execution.domain.order import (
    TRANSITIONS,
    Fill,
    IllegalTransition,
    Order,
    OrderStatus,
)
from crypto_trader.execution.testing import new_order


def fill(
    trade_id: str, quantity: str, price: str, fee: str = "0", order: str = "ct-order-1"
) -> Fill:
    return Fill(
        trade_id=trade_id,
        client_order_id=order,
        quantity=Decimal(quantity),
        price=Decimal(price),
        fee=Decimal(fee),
        fee_currency="USDT",
        ts_ms=1,
    )


def accepted(quantity: str = "1") -> Order:
    return new_order(quantity=Decimal(quantity)).accept(venue_order_id="v-1", ts_ms=1)


# What each action needs as a target status, and how to perform it on an order.
ACTIONS = {
    "accept": (OrderStatus.ACCEPTED, lambda o: o.accept(venue_order_id="v", ts_ms=5)),
    "reject": (OrderStatus.REJECTED, lambda o: o.reject(reason="no", ts_ms=5)),
    "cancel": (OrderStatus.CANCELED, lambda o: o.cancel(reason="user", ts_ms=5)),
    "fill_part": (
        OrderStatus.PARTIALLY_FILLED,
        lambda o: o.apply_fill(fill("t-new", "0.1", "10"), ts_ms=5),
    ),
    "fill_rest": (
        OrderStatus.FILLED,
        lambda o: o.apply_fill(fill("t-new", str(o.remaining_quantity), "10"), ts_ms=5),
    ),
}


def in_status(status: OrderStatus) -> Order:
    # Partially filled orders keep some quantity open so "fill_rest" is a real fill.
    filled = Decimal("0.5") if status is OrderStatus.PARTIALLY_FILLED else Decimal(0)
    return replace(new_order(), status=status, filled_quantity=filled, filled_notional=filled * 10)


class TestTransitions:
    @pytest.mark.parametrize("status", list(OrderStatus))
    @pytest.mark.parametrize("action", list(ACTIONS))
    def test_allows_exactly_the_transitions_in_the_table(
        self, status: OrderStatus, action: str
    ) -> None:
        target, perform = ACTIONS[action]
        order = in_status(status)

        if target in TRANSITIONS[status]:
            after = perform(order)
            assert after.status is target
            assert after.version == order.version + 1
            assert after.updated_ms == 5
        else:
            with pytest.raises(IllegalTransition):
                perform(order)

    def test_accepting_records_the_venue_order_id(self) -> None:
        order = new_order().accept(venue_order_id="paper-1", ts_ms=7)

        assert (order.status, order.venue_order_id, order.updated_ms) == (
            OrderStatus.ACCEPTED,
            "paper-1",
            7,
        )

    def test_rejecting_and_canceling_keep_the_reason(self) -> None:
        assert new_order().reject(reason="min notional", ts_ms=1).reason == "min notional"
        assert accepted().cancel(reason="expired", ts_ms=1).reason == "expired"

    @pytest.mark.parametrize("status", [OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED])
    def test_open_statuses_are_open(self, status: OrderStatus) -> None:
        assert in_status(status).is_open
        assert not in_status(status).is_terminal

    @pytest.mark.parametrize(
        "status", [OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED]
    )
    def test_terminal_statuses_are_closed(self, status: OrderStatus) -> None:
        assert in_status(status).is_terminal
        assert not in_status(status).is_open


class TestFills:
    def test_partial_then_full_fill_averages_the_price_exactly(self) -> None:
        order = accepted("1.0")

        order = order.apply_fill(fill("t-1", "0.3", "100", fee="0.03"), ts_ms=2)
        assert order.status is OrderStatus.PARTIALLY_FILLED
        order = order.apply_fill(fill("t-2", "0.7", "110", fee="0.077"), ts_ms=3)

        assert order.status is OrderStatus.FILLED
        assert order.filled_quantity == Decimal("1.0")
        assert order.average_price == Decimal("107")
        assert order.fees == Decimal("0.107")
        assert order.remaining_quantity == 0

    def test_a_trade_id_applied_twice_changes_nothing(self) -> None:
        order = accepted("1").apply_fill(fill("t-1", "0.4", "100"), ts_ms=2)

        again = order.apply_fill(fill("t-1", "0.4", "100"), ts_ms=3)

        assert again is order

    def test_a_repeated_trade_on_a_filled_order_is_ignored_not_refused(self) -> None:
        order = accepted("1").apply_fill(fill("t-1", "1", "100"), ts_ms=2)

        assert order.apply_fill(fill("t-1", "1", "100"), ts_ms=3) is order

    def test_refuses_a_fill_larger_than_what_remains(self) -> None:
        order = accepted("1").apply_fill(fill("t-1", "0.6", "100"), ts_ms=2)

        with pytest.raises(InvalidInput, match="overfills"):
            order.apply_fill(fill("t-2", "0.40000001", "100"), ts_ms=3)

    def test_refuses_a_fill_of_another_order(self) -> None:
        with pytest.raises(InvalidInput, match="is for"):
            accepted().apply_fill(fill("t-1", "0.1", "100", order="ct-other"), ts_ms=2)

    def test_has_no_average_price_before_the_first_fill(self) -> None:
        assert accepted().average_price is None

    @pytest.mark.parametrize("quantity", ["0", "-1"])
    def test_refuses_a_fill_quantity_that_is_not_positive(self, quantity: str) -> None:
        with pytest.raises(InvalidInput):
            fill("t-1", quantity, "100")

    def test_refuses_an_order_without_quantity(self) -> None:
        with pytest.raises(InvalidInput):
            new_order(quantity=Decimal(0))


class OrderLifecycle(RuleBasedStateMachine):
    """Random accept/reject/cancel/fill/duplicate sequences never break the aggregate's rules."""

    def __init__(self) -> None:
        super().__init__()
        self.order = new_order(quantity=Decimal("1.5"))
        self.applied: dict[str, Fill] = {}
        self.transitions = 0
        self.counter = 0

    def _attempt(self, target: OrderStatus, action: object) -> None:
        legal = target in TRANSITIONS[self.order.status]
        before = self.order
        try:
            self.order = action()  # type: ignore[operator]
        except IllegalTransition:
            assert not legal, f"{before.status} -> {target} should be legal"
            assert self.order is before
            return
        assert legal, f"{before.status} -> {target} should have raised"
        self.transitions += 1

    @rule()
    def accept(self) -> None:
        self._attempt(
            OrderStatus.ACCEPTED,
            lambda: self.order.accept(venue_order_id="v", ts_ms=self.transitions),
        )

    @rule()
    def reject(self) -> None:
        self._attempt(
            OrderStatus.REJECTED, lambda: self.order.reject(reason="r", ts_ms=self.transitions)
        )

    @rule()
    def cancel(self) -> None:
        self._attempt(
            OrderStatus.CANCELED, lambda: self.order.cancel(reason="c", ts_ms=self.transitions)
        )

    @rule(percent=st.integers(min_value=1, max_value=100), cents=st.integers(1, 10_000_000))
    def fill(self, percent: int, cents: int) -> None:
        remaining = self.order.remaining_quantity
        price = Decimal(cents).scaleb(-2)
        # Quantities on an 0.00001 grid, like a real market's step size.
        quantity = max(Decimal("0.00001"), (remaining * percent / 100).quantize(Decimal("0.00001")))
        self.counter += 1
        new = fill(f"t-{self.counter}", str(quantity), str(price))
        target = OrderStatus.FILLED if quantity == remaining else OrderStatus.PARTIALLY_FILLED
        if quantity > remaining:
            with pytest.raises(InvalidInput):
                self.order.apply_fill(new, ts_ms=self.transitions)
            return
        self._attempt(target, lambda: self.order.apply_fill(new, ts_ms=self.transitions))
        if self.order.trade_ids and new.trade_id in self.order.trade_ids:
            self.applied[new.trade_id] = new

    @precondition(lambda self: bool(self.applied))
    @rule(data=st.data())
    def replay_a_fill(self, data: st.DataObject) -> None:
        trade_id = data.draw(st.sampled_from(sorted(self.applied)))
        before = self.order

        self.order = self.order.apply_fill(self.applied[trade_id], ts_ms=999)

        assert self.order is before

    @invariant()
    def filled_never_exceeds_quantity(self) -> None:
        assert 0 <= self.order.filled_quantity <= self.order.quantity

    @invariant()
    def bookkeeping_is_the_exact_sum_of_applied_fills(self) -> None:
        fills = self.applied.values()
        assert self.order.filled_quantity == sum((f.quantity for f in fills), Decimal(0))
        assert self.order.filled_notional == sum((f.quantity * f.price for f in fills), Decimal(0))
        assert self.order.trade_ids == frozenset(self.applied)

    @invariant()
    def status_agrees_with_the_filled_quantity(self) -> None:
        status, filled = self.order.status, self.order.filled_quantity
        if status is OrderStatus.FILLED:
            assert filled == self.order.quantity
        if status is OrderStatus.PARTIALLY_FILLED:
            assert 0 < filled < self.order.quantity
        if status in (OrderStatus.PENDING_SUBMIT, OrderStatus.ACCEPTED, OrderStatus.REJECTED):
            assert filled == 0

    @invariant()
    def version_counts_the_transitions(self) -> None:
        assert self.order.version == self.transitions


OrderLifecycle.TestCase.settings = settings(max_examples=100, stateful_step_count=50, deadline=None)
TestOrderLifecycle = OrderLifecycle.TestCase
