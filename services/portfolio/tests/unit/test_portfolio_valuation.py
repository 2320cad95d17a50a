"""Which last price wins, and the exactness limits of stored amounts."""

from decimal import Decimal

from crypto_trader.portfolio.domain.amount import is_storable, quantize_amount
from crypto_trader.portfolio.domain.valuation import PriceMark, PriceSource, supersedes


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
