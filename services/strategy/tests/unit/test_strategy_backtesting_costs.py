"""Fee schedules per exchange and slippage models of the backtesting engine."""

from __future__ import annotations

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.backtesting import (
    FeeModel,
    FixedSlippage,
    OrderContext,
    SpreadSlippage,
    VolumeShareSlippage,
    slippage_model,
)

BUY, SELL = 1, -1
BAR = OrderContext(quantity=1.0, high=101.0, low=99.0, volume=100.0)


class TestFeeModel:
    @pytest.mark.parametrize("exchange", ["binance", "coinbase", "kraken", "bybit", "okx"])
    def test_every_supported_exchange_has_a_default_schedule(self, exchange: str) -> None:
        fees = FeeModel.for_exchange(exchange)

        assert 0 < fees.maker <= fees.taker < 0.01

    def test_ccxt_market_fees_override_the_defaults(self) -> None:
        fees = FeeModel.for_exchange("kraken", {"maker": 0.0016, "taker": 0.0026})

        assert (fees.maker, fees.taker) == (0.0016, 0.0026)

    def test_unknown_exchange_needs_market_fees(self) -> None:
        with pytest.raises(InvalidInput, match="no fee schedule"):
            FeeModel.for_exchange("mtgox")
        assert FeeModel.for_exchange("mtgox", {"maker": 0.002, "taker": 0.003}).taker == 0.003

    def test_makers_and_takers_pay_their_own_rate(self) -> None:
        fees = FeeModel(0.001, 0.002)

        assert (fees.rate(maker=True), fees.rate(maker=False)) == (0.001, 0.002)

    def test_rejects_a_rate_of_one_or_more(self) -> None:
        with pytest.raises(InvalidInput):
            FeeModel(0.001, 1.0)


class TestSlippage:
    def test_fixed_bps_moves_against_buyers_and_sellers(self) -> None:
        model = FixedSlippage(10)

        assert model.fill_price(BUY, 100.0, BAR) == pytest.approx(100.1)
        assert model.fill_price(SELL, 100.0, BAR) == pytest.approx(99.9)

    def test_spread_costs_half_the_given_spread(self) -> None:
        assert SpreadSlippage(20).fill_price(BUY, 100.0, BAR) == pytest.approx(100.1)

    def test_spread_is_estimated_from_the_bar_range_when_not_given(self) -> None:
        # Range 2 on a mid of 100, a tenth of it is a 0.2 % spread: half is 0.1 %.
        assert SpreadSlippage().fill_price(SELL, 100.0, BAR) == pytest.approx(99.9)

    def test_volume_share_impact_grows_with_size_and_is_capped(self) -> None:
        model = VolumeShareSlippage(price_impact=0.1, volume_limit=0.025)
        small = model.fill_price(BUY, 100.0, OrderContext(1.0, 101, 99, 100.0))
        large = model.fill_price(BUY, 100.0, OrderContext(2.0, 101, 99, 100.0))
        huge = model.fill_price(BUY, 100.0, OrderContext(50.0, 101, 99, 100.0))

        assert small == pytest.approx(100.0 * (1 + 0.1 * 0.01**2))
        assert 100.0 < small < large < huge
        assert huge == pytest.approx(100.0 * (1 + 0.1 * 0.025**2))
        assert model.fill_price(BUY, 100.0, OrderContext(1.0, 101, 99, 0.0)) == huge

    @pytest.mark.parametrize(
        ("name", "kind"),
        [("fixed", FixedSlippage), ("spread", SpreadSlippage), ("volume", VolumeShareSlippage)],
    )
    def test_models_by_name(self, name: str, kind: type) -> None:
        assert isinstance(slippage_model(name), kind)

    def test_unknown_model_name(self) -> None:
        with pytest.raises(InvalidInput, match="slippage model"):
            slippage_model("magic")
