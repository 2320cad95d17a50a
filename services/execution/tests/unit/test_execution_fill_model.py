"""The shared fill model: exact prices and fees, slippage against the taker."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.fill_model import (
    SimulatedFill,
    market_fill_at_open,
    slipped_price,
    trading_fee,
)
from crypto_trader.common.model import Side

quantities = st.decimals(min_value="0.00000001", max_value="1000", places=8)
prices = st.decimals(min_value="0.00000001", max_value="1000000", places=8)
fee_rates = st.decimals(min_value="0", max_value="0.01", places=6)
slippages = st.decimals(min_value="0", max_value="500", places=2)


class TestMarketFillAtOpen:
    def test_fills_at_the_open_and_pays_quantity_times_price_times_rate(self) -> None:
        fill = market_fill_at_open(
            Side.BUY, Decimal("0.03321"), Decimal("30111.45"), fee_rate=Decimal("0.001")
        )

        assert fill == SimulatedFill(price=Decimal("30111.45"), fee=Decimal("1.0000012545"))

    def test_buy_slippage_raises_the_price_and_sell_slippage_lowers_it(self) -> None:
        buy = market_fill_at_open(
            Side.BUY, Decimal(1), Decimal(100), fee_rate=Decimal(0), slippage_bps=Decimal(10)
        )
        sell = market_fill_at_open(
            Side.SELL, Decimal(1), Decimal(100), fee_rate=Decimal(0), slippage_bps=Decimal(10)
        )

        assert buy.price == Decimal("100.1")
        assert sell.price == Decimal("99.9")

    def test_fee_is_charged_on_the_slipped_price(self) -> None:
        fill = market_fill_at_open(
            Side.BUY, Decimal(2), Decimal(100), fee_rate=Decimal("0.001"), slippage_bps=Decimal(50)
        )

        assert fill.price == Decimal("100.5")
        assert fill.fee == Decimal("0.201")

    @given(quantities, prices, fee_rates, slippages, st.sampled_from(list(Side)))
    def test_price_and_fee_are_exact(
        self, quantity: Decimal, price: Decimal, rate: Decimal, bps: Decimal, side: Side
    ) -> None:
        fill = market_fill_at_open(side, quantity, price, fee_rate=rate, slippage_bps=bps)

        shift = Fraction(price) * Fraction(bps) / 10_000
        expected_price = Fraction(price) + shift if side is Side.BUY else Fraction(price) - shift
        assert Fraction(fill.price) == expected_price
        assert Fraction(fill.fee) == Fraction(quantity) * expected_price * Fraction(rate)

    @given(quantities, prices, slippages)
    def test_buy_and_sell_slip_symmetrically_around_the_open(
        self, quantity: Decimal, price: Decimal, bps: Decimal
    ) -> None:
        buy = market_fill_at_open(Side.BUY, quantity, price, fee_rate=Decimal(0), slippage_bps=bps)
        sell = market_fill_at_open(
            Side.SELL, quantity, price, fee_rate=Decimal(0), slippage_bps=bps
        )

        assert sell.price <= price <= buy.price
        assert buy.price - price == price - sell.price
        assert sell.price > 0


class TestInvalidInputs:
    @pytest.mark.parametrize("quantity", ["0", "-1"])
    def test_refuses_a_quantity_that_is_not_positive(self, quantity: str) -> None:
        with pytest.raises(InvalidInput):
            trading_fee(Decimal(quantity), Decimal(1), fee_rate=Decimal("0.001"))

    def test_refuses_a_negative_fee_rate(self) -> None:
        with pytest.raises(InvalidInput):
            trading_fee(Decimal(1), Decimal(1), fee_rate=Decimal("-0.001"))

    @pytest.mark.parametrize("price", ["0", "-5"])
    def test_refuses_a_price_that_is_not_positive(self, price: str) -> None:
        with pytest.raises(InvalidInput):
            slipped_price(Side.BUY, Decimal(price))

    @pytest.mark.parametrize("bps", ["-1", "10000"])
    def test_refuses_slippage_outside_its_range(self, bps: str) -> None:
        with pytest.raises(InvalidInput):
            slipped_price(Side.SELL, Decimal(100), slippage_bps=Decimal(bps))
