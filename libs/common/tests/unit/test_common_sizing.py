"""Position sizing shared by risk and backtests: every rule rounds down to the lot step."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.sizing import (
    ALL_IN,
    FIXED_NOTIONAL,
    FRACTION_OF_EQUITY,
    Sizing,
    floor_to_step,
    quantity_for_notional,
    round_down_to_step,
)


class TestDecimalSizing:
    def test_quantity_for_notional_rounds_down_to_whole_steps(self) -> None:
        assert quantity_for_notional(Decimal(1000), Decimal(30_000), Decimal("0.001")) == Decimal(
            "0.033"
        )

    def test_quantity_for_notional_is_zero_below_one_step(self) -> None:
        assert quantity_for_notional(Decimal(1), Decimal(30_000), Decimal("0.001")) == 0

    def test_round_down_to_step_never_rounds_up(self) -> None:
        assert round_down_to_step(Decimal("0.0339999"), Decimal("0.001")) == Decimal("0.033")

    @pytest.mark.parametrize(("price", "step"), [("0", "0.1"), ("1", "0"), ("-1", "1")])
    def test_rejects_non_positive_price_or_step(self, price: str, step: str) -> None:
        with pytest.raises(InvalidInput):
            quantity_for_notional(Decimal(10), Decimal(price), Decimal(step))


class TestFloatSizing:
    def test_all_in_pays_the_fee_from_the_cash(self) -> None:
        sizing = Sizing(ALL_IN)

        quantity = sizing.quantity(cash=1010.0, equity=1010.0, price=100.0, fee_rate=0.01)

        assert quantity == pytest.approx(10.0)

    def test_fixed_notional_is_capped_by_the_cash(self) -> None:
        sizing = Sizing(FIXED_NOTIONAL, 500.0)

        assert sizing.quantity(cash=10_000.0, equity=1.0, price=100.0, fee_rate=0.0) == 5.0
        assert sizing.quantity(cash=200.0, equity=1.0, price=100.0, fee_rate=0.0) == 2.0

    def test_fraction_of_equity_floored_to_the_step(self) -> None:
        sizing = Sizing(FRACTION_OF_EQUITY, 0.5, quantity_step=0.3)

        assert sizing.quantity(
            cash=1000.0, equity=1000.0, price=100.0, fee_rate=0.0
        ) == pytest.approx(4.8)

    def test_floor_to_step_without_a_step_keeps_the_quantity(self) -> None:
        assert floor_to_step(1.2345, 0.0) == 1.2345

    @pytest.mark.parametrize(
        "kwargs",
        [{"mode": "martingale"}, {"value": 0.0}, {"mode": FRACTION_OF_EQUITY, "value": 1.5}],
    )
    def test_rejects_bad_rules(self, kwargs: dict[str, object]) -> None:
        with pytest.raises(InvalidInput):
            Sizing(**kwargs)  # type: ignore[arg-type]
