from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common import codec
from crypto_trader.common.errors import InvalidInput, InvalidMessage
from crypto_trader.common.model import Candle, Side, Timeframe, decimal_str, quote_asset, to_decimal


class TestDecimals:
    def test_refuses_floats_so_money_never_goes_through_binary_fractions(self):
        with pytest.raises(InvalidInput):
            to_decimal(0.1)  # type: ignore[arg-type]

    @pytest.mark.parametrize("text", ["", "abc", "NaN", "Infinity", "1e"])
    def test_refuses_malformed_and_non_finite_text(self, text):
        with pytest.raises(InvalidInput):
            to_decimal(text)

    @given(st.decimals(allow_nan=False, allow_infinity=False, places=12))
    def test_wire_format_round_trips_exactly(self, value):
        assert to_decimal(decimal_str(value)) == value

    def test_wire_format_has_no_exponent(self):
        assert decimal_str(Decimal("1E-8")) == "0.00000001"
        assert decimal_str(Decimal("12000.5000")) == "12000.5"


class TestTimeframe:
    @pytest.mark.parametrize(("code", "ms"), [("1m", 60_000), ("5m", 300_000), ("1h", 3_600_000)])
    def test_knows_its_length(self, code, ms):
        assert Timeframe(code).milliseconds == ms

    @pytest.mark.parametrize("code", ["", "0m", "5x", "m5", "1M "])
    def test_rejects_unknown_codes(self, code):
        with pytest.raises(InvalidInput):
            Timeframe(code)


class TestCandle:
    def _candle(self, **changes):
        fields = {
            "exchange": "binance",
            "symbol": "BTC/USDT",
            "timeframe": "5m",
            "open_time_ms": 1_600_000_200_000,
            "open": Decimal("10"),
            "high": Decimal("12"),
            "low": Decimal("9"),
            "close": Decimal("11"),
            "volume": Decimal("3.5"),
        }
        fields.update(changes)
        return Candle(**fields)

    def test_rejects_high_below_low(self):
        with pytest.raises(InvalidInput):
            self._candle(high=Decimal("8"))

    def test_rejects_negative_volume(self):
        with pytest.raises(InvalidInput):
            self._candle(volume=Decimal("-1"))

    def test_round_trips_through_proto(self):
        candle = self._candle()
        assert codec.candle_from_proto(codec.candle_to_proto(candle)) == candle
        assert codec.candle_to_proto(candle).close_time_ms == candle.open_time_ms + 300_000

    def test_malformed_proto_is_an_invalid_message(self):
        message = codec.candle_to_proto(self._candle())
        message.close = "not-a-number"
        with pytest.raises(InvalidMessage):
            codec.candle_from_proto(message)


def test_side_opposite_and_quote_asset():
    assert Side.BUY.opposite() is Side.SELL
    assert quote_asset("BTC/USDT:USDT") == "USDT"
