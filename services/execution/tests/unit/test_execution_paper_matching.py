"""Paper matching: a market order fills at the open of the first later candle of its own market."""

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common.model import Side
from crypto_trader.execution.domain import paper_matching
from crypto_trader.execution.domain.order import Order, OrderStatus, OrderType
from crypto_trader.execution.testing import candle, new_order

FEE = Decimal("0.001")
SIGNAL_CANDLE_MS = 1_000_000


def open_order(**changes: object) -> Order:
    order = new_order(not_before_ms=SIGNAL_CANDLE_MS, **changes)
    return order.accept(venue_order_id="paper-ct-order-1", ts_ms=1)


class TestMatch:
    def test_fills_the_whole_order_at_the_next_candle_open_with_the_taker_fee(self) -> None:
        order = open_order(quantity=Decimal("0.03321"))

        fill = paper_matching.match(
            order, candle(SIGNAL_CANDLE_MS + 300_000, "30111.45"), fee_rate=FEE
        )

        assert fill is not None
        assert fill.quantity == Decimal("0.03321")
        assert fill.price == Decimal("30111.45")
        assert fill.fee == Decimal("1.0000012545")
        assert fill.fee_currency == "USDT"
        assert fill.trade_id == "paper-ct-order-1-1"
        assert fill.ts_ms == SIGNAL_CANDLE_MS + 300_000

    @pytest.mark.parametrize("open_time_ms", [SIGNAL_CANDLE_MS - 300_000, SIGNAL_CANDLE_MS])
    def test_never_fills_on_the_signal_candle_or_before_it(self, open_time_ms: int) -> None:
        assert paper_matching.match(open_order(), candle(open_time_ms), fee_rate=FEE) is None

    @pytest.mark.parametrize(
        "other",
        [
            {"exchange": "kraken"},
            {"symbol": "ETH/USDT"},
            {"timeframe": "1h"},
            {"closed": False},
        ],
    )
    def test_ignores_candles_of_other_markets_timeframes_and_forming_candles(
        self, other: dict[str, object]
    ) -> None:
        later = candle(SIGNAL_CANDLE_MS + 300_000, **other)  # type: ignore[arg-type]

        assert paper_matching.match(open_order(), later, fee_rate=FEE) is None

    @pytest.mark.parametrize(
        "status", [OrderStatus.PENDING_SUBMIT, OrderStatus.FILLED, OrderStatus.CANCELED]
    )
    def test_orders_that_are_not_open_do_not_fill(self, status: OrderStatus) -> None:
        order = replace(open_order(), status=status)

        assert paper_matching.match(order, candle(SIGNAL_CANDLE_MS + 1), fee_rate=FEE) is None

    def test_limit_orders_do_not_fill_and_are_unsupported(self) -> None:
        order = open_order(order_type=OrderType.LIMIT)

        assert paper_matching.match(order, candle(SIGNAL_CANDLE_MS + 1), fee_rate=FEE) is None
        assert paper_matching.unsupported_reason(order) is not None
        assert paper_matching.unsupported_reason(open_order()) is None

    def test_slippage_moves_the_price_against_the_taker(self) -> None:
        later = candle(SIGNAL_CANDLE_MS + 1, "100")
        bps = Decimal(20)

        buy = paper_matching.match(open_order(), later, fee_rate=FEE, slippage_bps=bps)
        sell = paper_matching.match(
            open_order(side=Side.SELL), later, fee_rate=FEE, slippage_bps=bps
        )

        assert buy is not None and sell is not None
        assert (buy.price, sell.price) == (Decimal("100.2"), Decimal("99.8"))

    def test_a_partially_filled_order_fills_what_remains(self) -> None:
        order = replace(
            open_order(quantity=Decimal(1)),
            status=OrderStatus.PARTIALLY_FILLED,
            filled_quantity=Decimal("0.25"),
        )

        fill = paper_matching.match(order, candle(SIGNAL_CANDLE_MS + 1), fee_rate=FEE)

        assert fill is not None and fill.quantity == Decimal("0.75")

    @given(
        quantity=st.decimals(min_value="0.00001", max_value="100", places=5),
        price=st.decimals(min_value="0.01", max_value="500000", places=2),
    )
    def test_fee_is_exactly_quantity_times_price_times_rate(
        self, quantity: Decimal, price: Decimal
    ) -> None:
        fill = paper_matching.match(
            open_order(quantity=quantity), candle(SIGNAL_CANDLE_MS + 1, str(price)), fee_rate=FEE
        )

        assert fill is not None
        assert fill.price == price
        assert fill.fee == quantity * price * FEE


class TestMatchAll:
    def test_returns_only_the_orders_the_candle_fills(self) -> None:
        mine = open_order()
        other_market = replace(open_order(), client_order_id="ct-2", symbol="ETH/USDT")
        too_new = replace(open_order(), client_order_id="ct-3", not_before_ms=SIGNAL_CANDLE_MS * 2)

        matched = paper_matching.match_all(
            [mine, other_market, too_new], candle(SIGNAL_CANDLE_MS + 1), fee_rate=FEE
        )

        assert [order.client_order_id for order, _ in matched] == [mine.client_order_id]
