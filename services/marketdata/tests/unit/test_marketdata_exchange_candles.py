"""ccxt OHLCV rows to candles: closed once exchange time reaches their close; exact decimals."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.marketdata.adapters.exchanges.ccxt_exchange import (
    split_candles,
    to_decimal_or_none,
)

MINUTE = 60_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % MINUTE


def _row(open_time: int, close: float = 100.5) -> list[object]:
    return [open_time, 100.1, 101.0, 99.9, close, 2.5]


class TestSplitCandles:
    def test_a_candle_is_closed_exactly_when_now_reaches_its_close_time(self) -> None:
        rows = [_row(T0), _row(T0 + MINUTE)]

        before = split_candles("binance", "BTC/USDT", "1m", rows, now_ms=T0 + 2 * MINUTE - 1)
        at = split_candles("binance", "BTC/USDT", "1m", rows, now_ms=T0 + 2 * MINUTE)

        assert [c.open_time_ms for c in before.closed] == [T0]
        assert before.forming is not None and before.forming.open_time_ms == T0 + MINUTE
        assert before.forming.closed is False
        assert [c.open_time_ms for c in at.closed] == [T0, T0 + MINUTE]
        assert at.forming is None

    def test_prices_become_the_exchanges_decimal_strings_not_binary_floats(self) -> None:
        batch = split_candles("okx", "BTC/USDT", "1m", [_row(T0, 100.3)], now_ms=T0 + MINUTE)

        candle = batch.closed[0]
        assert candle.close == Decimal("100.3")
        assert candle.open == Decimal("100.1")
        assert to_decimal_or_none(1e-08) == Decimal("0.00000001")
        assert to_decimal_or_none(None) is None

    def test_rows_come_out_oldest_first_without_repeats_and_invalid_rows_are_skipped(self) -> None:
        rows = [_row(T0 + MINUTE), _row(T0), _row(T0), [T0 + 2 * MINUTE, 1, 0.5, 2, 1, 1]]

        batch = split_candles("kraken", "BTC/USDT", "1m", rows, now_ms=T0 + 10 * MINUTE)

        assert [c.open_time_ms for c in batch.closed] == [T0, T0 + MINUTE]
