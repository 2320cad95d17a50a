"""Which last price wins, the exactness limits of stored amounts, and a short's equity."""

from decimal import Decimal

from crypto_trader.common.model import Side
from crypto_trader.portfolio.domain.amount import is_storable, quantize_amount
from crypto_trader.portfolio.domain.fill import Fill
from crypto_trader.portfolio.domain.position import Position
from crypto_trader.portfolio.domain.valuation import (
    PriceMark,
    PriceSource,
    mark,
    supersedes,
    value_account,
)


def candle(as_of: int, price: str = "1") -> PriceMark:
    return PriceMark("binance", "BTC/USDT", Decimal(price), as_of, PriceSource.CANDLE)


def fill(as_of: int, price: str = "1") -> PriceMark:
    return PriceMark("binance", "BTC/USDT", Decimal(price), as_of, PriceSource.FILL)


class TestSupersedes:
    def test_anything_beats_no_price(self) -> None:
        assert supersedes(fill(1), None)
        assert supersedes(candle(1), None)

    def test_a_newer_or_equal_candle_beats_a_candle_but_an_older_one_does_not(self) -> None:
        assert supersedes(candle(2), candle(1))
        assert supersedes(candle(1), candle(1))
        assert not supersedes(candle(0), candle(1))

    def test_a_candle_beats_a_fill_price_even_if_older(self) -> None:
        assert supersedes(candle(0), fill(10))

    def test_a_fill_price_only_replaces_a_fill_price(self) -> None:
        assert supersedes(fill(0), fill(10))
        assert not supersedes(fill(10), candle(0))


class TestStorable:
    def test_accepts_what_numeric_38_18_keeps(self) -> None:
        assert is_storable(Decimal("0.000000000000000001"))
        assert is_storable(Decimal("12345678901234567890"))
        assert is_storable(Decimal("1.500000000000000000000000"))
        assert is_storable(Decimal("1E+5"))

    def test_refuses_what_it_would_round(self) -> None:
        assert not is_storable(Decimal("0.0000000000000000001"))
        assert not is_storable(Decimal("123456789012345678901"))
        assert not is_storable(Decimal("1234567890.1234567890123456789"))
        assert not is_storable(Decimal("NaN"))

    def test_quantizes_to_eighteen_places(self) -> None:
        assert quantize_amount(Decimal(1) / Decimal(3)) == Decimal("0.333333333333333333")


class TestShortEquity:
    def test_equity_is_cash_plus_the_signed_position_at_the_last_price(self) -> None:
        # Sold 0.5 short at 20000 (fee 10) from 10000 cash: the proceeds are cash, the short a debt.
        short = Position("paper", "binance", "BTC/USDT").apply(
            Fill(
                exchange="binance",
                account="paper",
                symbol="BTC/USDT",
                side=Side.SELL,
                quantity=Decimal("0.5"),
                price=Decimal(20000),
                fee=Decimal(10),
                trade_id="t1",
                ts_ms=1,
            )
        )
        cash = Decimal(10000) + Decimal("0.5") * 20000 - 10

        snapshot = value_account(
            "paper",
            "USDT",
            cash=cash,
            positions=mark([short], {("binance", "BTC/USDT"): Decimal(19000)}),
            fills_booked=1,
        )

        assert short.average_price == Decimal(20000)
        assert snapshot.positions_value == Decimal("-9500")
        assert snapshot.equity == cash - Decimal("0.5") * 19000 == Decimal("10490")
        assert snapshot.unrealised_pnl == Decimal(500)
        assert snapshot.equity == Decimal(10000) + snapshot.unrealised_pnl - snapshot.fees_paid
