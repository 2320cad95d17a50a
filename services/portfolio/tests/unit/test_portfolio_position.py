"""Positions at average cost: opening, adding, reducing, flipping, and marking to a price."""

from decimal import Decimal

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side
from crypto_trader.portfolio.domain.position import Position
from crypto_trader.portfolio.testing import make_fill

D = Decimal


def flat() -> Position:
    return Position("paper", "binance", "BTC/USDT")


def trade(position: Position, side: Side, quantity: str, price: str, fee: str = "0") -> Position:
    fill = make_fill(f"t{position.fills + 1}", side=side, quantity=quantity, price=price, fee=fee)
    return position.apply(fill)


class TestLong:
    def test_opening_sets_quantity_and_average_price(self) -> None:
        position = trade(flat(), Side.BUY, "2", "100", fee="0.2")

        assert position.quantity == D("2")
        assert position.average_price == D("100")
        assert position.realised_pnl == 0
        assert position.fees_paid == D("0.2")
        assert position.fills == 1
        assert position.last_trade_id == "t1"

    def test_adding_averages_the_entry_price(self) -> None:
        position = trade(trade(flat(), Side.BUY, "1", "100"), Side.BUY, "3", "200")

        assert position.quantity == D("4")
        assert position.average_price == D("175")

    def test_reducing_realises_against_the_average_price(self) -> None:
        position = trade(trade(flat(), Side.BUY, "2", "100"), Side.SELL, "0.5", "130")

        assert position.quantity == D("1.5")
        assert position.average_price == D("100")
        assert position.realised_pnl == D("15")

    def test_closing_leaves_no_cost_behind_even_when_the_average_does_not_terminate(self) -> None:
        position = trade(flat(), Side.BUY, "1", "100")
        position = trade(position, Side.BUY, "2", "101")  # average 100.666...
        position = trade(position, Side.SELL, "1", "102")
        position = trade(position, Side.SELL, "2", "99")

        assert position.is_flat
        assert position.cost_basis == 0
        assert position.realised_pnl == D("102") + D("198") - D("100") - D("202")

    def test_fees_are_reported_apart_from_realised_pnl(self) -> None:
        position = trade(flat(), Side.BUY, "1", "100", fee="0.1")
        position = trade(position, Side.SELL, "1", "110", fee="0.11")

        assert position.realised_pnl == D("10")
        assert position.fees_paid == D("0.21")


class TestShortAndFlip:
    def test_selling_from_flat_opens_a_short(self) -> None:
        position = trade(flat(), Side.SELL, "2", "100")

        assert position.quantity == D("-2")
        assert position.average_price == D("100")

    def test_covering_a_short_below_entry_realises_a_gain(self) -> None:
        position = trade(trade(flat(), Side.SELL, "2", "100"), Side.BUY, "1", "90")

        assert position.quantity == D("-1")
        assert position.realised_pnl == D("10")
        assert position.average_price == D("100")

    def test_selling_through_zero_closes_the_long_and_opens_a_short_at_the_fill_price(self) -> None:
        position = trade(trade(flat(), Side.BUY, "1", "100"), Side.SELL, "3", "120")

        assert position.quantity == D("-2")
        assert position.realised_pnl == D("20")
        assert position.average_price == D("120")

    def test_buying_through_zero_flips_a_short_to_a_long(self) -> None:
        position = trade(trade(flat(), Side.SELL, "1", "100"), Side.BUY, "2", "110")

        assert position.quantity == D("1")
        assert position.realised_pnl == D("-10")
        assert position.average_price == D("110")


class TestMarking:
    def test_unrealised_pnl_of_a_long(self) -> None:
        position = trade(flat(), Side.BUY, "2", "100")

        assert position.market_value(D("110")) == D("220")
        assert position.unrealised_pnl(D("110")) == D("20")

    def test_unrealised_pnl_of_a_short(self) -> None:
        position = trade(flat(), Side.SELL, "2", "100")

        assert position.market_value(D("110")) == D("-220")
        assert position.unrealised_pnl(D("110")) == D("-20")

    def test_a_flat_position_has_zero_average_and_value(self) -> None:
        assert flat().average_price == 0
        assert flat().unrealised_pnl(D("5")) == 0


def test_refuses_a_fill_of_another_market() -> None:
    with pytest.raises(InvalidInput):
        flat().apply(make_fill(symbol="ETH/USDT"))
