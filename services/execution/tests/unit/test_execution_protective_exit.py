"""Protective exit trigger rules, candle by candle, for longs and shorts, gaps included."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Candle, Side
from crypto_trader.common.protective_exit import (
    ExitHints,
    ExitReason,
    Protection,
    after_candle,
    hint_problem,
    hints_from_strategy,
    protect,
    trail_fraction,
    trigger,
)
from crypto_trader.execution.domain.protection import EntryProtection, ProtectionStatus

D = Decimal


def bar(open_: str, high: str, low: str) -> dict[str, Decimal]:
    return {"open_": D(open_), "high": D(high), "low": D(low)}


LONG = Protection(Side.BUY, extreme=D(100), stop_loss=D(95), take_profit=D(110))
SHORT = Protection(Side.SELL, extreme=D(100), stop_loss=D(105), take_profit=D(90))


class TestTrigger:
    def test_a_long_candle_inside_both_levels_fires_nothing(self) -> None:
        assert trigger(LONG, **bar("100", "109", "96")) is None

    def test_a_long_stop_fills_at_its_price_when_the_low_reaches_it(self) -> None:
        fired = trigger(LONG, **bar("100", "101", "94"))

        assert fired is not None
        assert (fired.reason, fired.price, fired.at_open, fired.taker) == (
            ExitReason.STOP_LOSS,
            D(95),
            False,
            True,
        )

    def test_a_long_take_profit_fills_at_its_price_as_a_maker(self) -> None:
        fired = trigger(LONG, **bar("100", "111", "99"))

        assert fired is not None
        assert (fired.reason, fired.price, fired.taker) == (ExitReason.TAKE_PROFIT, D(110), False)

    def test_the_stop_wins_when_both_levels_lie_inside_one_candle(self) -> None:
        fired = trigger(LONG, **bar("100", "120", "80"))

        assert fired is not None and fired.reason is ExitReason.STOP_LOSS

    def test_a_gap_down_through_a_long_stop_fills_at_the_open(self) -> None:
        fired = trigger(LONG, **bar("90", "92", "85"))

        assert fired is not None
        assert (fired.reason, fired.price, fired.at_open) == (ExitReason.STOP_LOSS, D(90), True)

    def test_a_gap_up_through_a_long_take_profit_fills_at_the_open(self) -> None:
        fired = trigger(LONG, **bar("115", "118", "90"))

        assert fired is not None
        assert (fired.reason, fired.price, fired.at_open) == (ExitReason.TAKE_PROFIT, D(115), True)

    def test_a_short_stop_fills_when_the_high_reaches_it(self) -> None:
        fired = trigger(SHORT, **bar("100", "106", "95"))

        assert fired is not None and (fired.reason, fired.price) == (ExitReason.STOP_LOSS, D(105))

    def test_a_short_take_profit_fills_when_the_low_reaches_it(self) -> None:
        fired = trigger(SHORT, **bar("100", "104", "89"))

        assert fired is not None and (fired.reason, fired.price) == (ExitReason.TAKE_PROFIT, D(90))

    def test_a_gap_up_through_a_short_stop_fills_at_the_open(self) -> None:
        fired = trigger(SHORT, **bar("108", "109", "80"))

        assert fired is not None
        assert (fired.reason, fired.price, fired.at_open) == (ExitReason.STOP_LOSS, D(108), True)

    def test_a_gap_down_through_a_short_take_profit_fills_at_the_open(self) -> None:
        fired = trigger(SHORT, **bar("85", "104", "80"))

        assert fired is not None
        assert (fired.reason, fired.price, fired.at_open) == (ExitReason.TAKE_PROFIT, D(85), True)


class TestTrailingStop:
    def test_the_trail_follows_the_high_after_the_checks_and_then_fires(self) -> None:
        # A long from 100 trailing 10%: the stop starts at 90 and moves up with each high.
        protection = Protection(Side.BUY, extreme=D(100), trail=D("0.1"))
        bars = [bar("100", "120", "95"), bar("119", "121", "109"), bar("110", "112", "108")]

        fired_on = []
        for candle in bars:
            fired = trigger(protection, **candle)
            fired_on.append(None if fired is None else (fired.reason, fired.price))
            protection = after_candle(protection, high=candle["high"], low=candle["low"])

        # Candle 2 checks against 120 * 0.9 = 108 (its own high moves the trail only after).
        assert fired_on == [None, None, (ExitReason.TRAILING_STOP, D("108.9"))]

    def test_the_tighter_of_the_stop_loss_and_the_trail_fires_with_its_reason(self) -> None:
        protection = Protection(Side.BUY, extreme=D(130), stop_loss=D(95), trail=D("0.1"))

        fired = trigger(protection, **bar("125", "126", "116"))

        assert fired is not None and (fired.reason, fired.price) == (
            ExitReason.TRAILING_STOP,
            D("117.0"),
        )

    def test_a_short_trail_follows_the_low(self) -> None:
        protection = Protection(Side.SELL, extreme=D(100), trail=D("0.05"))
        protection = after_candle(protection, high=D(101), low=D(80))

        fired = trigger(protection, **bar("83", "85", "82"))

        assert fired is not None and (fired.reason, fired.price) == (
            ExitReason.TRAILING_STOP,
            D("84.00"),
        )


class TestHints:
    def test_the_trail_fraction_travels_as_a_price_from_the_reference(self) -> None:
        long = hints_from_strategy(Side.BUY, D(20000), stop_loss=19000.5, trailing_fraction=0.05)
        short = hints_from_strategy(Side.SELL, D(20000), trailing_fraction=0.05)

        assert long == ExitHints(stop_loss=D("19000.5"), trailing_stop=D("19000.00"))
        assert short.trailing_stop == D("21000.00")
        assert trail_fraction(Side.BUY, D(20000), D("19000.00")) == D("0.05")
        assert trail_fraction(Side.SELL, D(20000), D("21000.00")) == D("0.05")

    def test_nan_means_no_hint_and_a_trail_of_one_or_more_is_refused(self) -> None:
        assert hints_from_strategy(Side.BUY, D(1), stop_loss=float("nan")).empty
        with pytest.raises(InvalidInput):
            hints_from_strategy(Side.BUY, D(1), trailing_fraction=1.0)

    def test_hints_on_the_wrong_side_are_named(self) -> None:
        problem = hint_problem(Side.SELL, D(100), ExitHints(stop_loss=D(99)))

        assert problem == (
            "stop_loss 99 is on the wrong side of the price 100: a short's stop_loss must be"
            " above it"
        )
        assert hint_problem(Side.BUY, D(100), ExitHints(D(99), D(101), D(98))) is None

    def test_protect_arms_from_the_entry_price_with_the_trail_fraction(self) -> None:
        protection = protect(
            Side.BUY, D(101), ExitHints(trailing_stop=D(95)), reference_price=D(100)
        )

        assert protection == Protection(Side.BUY, extreme=D(101), trail=D("0.05"))
        assert protect(Side.BUY, D(1), ExitHints(), reference_price=D(1)) is None


def candle(open_time_ms: int, open_: str, high: str, low: str) -> Candle:
    return Candle(
        exchange="binance",
        symbol="BTC/USDT",
        timeframe="5m",
        open_time_ms=open_time_ms,
        open=D(open_),
        high=D(high),
        low=D(low),
        close=D(open_),
        volume=D(1),
    )


class TestEntryProtection:
    def entry(self, hints: ExitHints) -> EntryProtection:
        return EntryProtection(
            entry_client_order_id="ct-entry",
            account="paper",
            exchange="binance",
            symbol="BTC/USDT",
            timeframe="5m",
            side=Side.BUY,
            reference_price=D(100),
            hints=hints,
            created_ms=0,
        )

    def test_checks_the_fill_candle_then_each_newer_candle_once(self) -> None:
        armed = self.entry(ExitHints(stop_loss=D(90))).arm(
            fill_price=D(100), quantity=D(1), candle_open_ms=300_000, ts_ms=1
        )

        after_first, first = armed.on_candle(candle(300_000, "100", "105", "95"), ts_ms=2)
        again, repeated = after_first.on_candle(candle(300_000, "100", "105", "80"), ts_ms=3)
        fired_state, fired = after_first.on_candle(candle(600_000, "96", "97", "89"), ts_ms=4)

        assert armed.status is ProtectionStatus.ACTIVE
        assert first is None and after_first.checked_through_ms == 300_000
        assert repeated is None and again == after_first
        assert fired is not None and fired.price == D(90)
        assert (fired_state.status, fired_state.exit_reason) == (
            ProtectionStatus.TRIGGERED,
            "stop_loss",
        )

    def test_an_entry_without_hints_is_armed_unprotected_and_never_fires(self) -> None:
        armed = self.entry(ExitHints()).arm(
            fill_price=D(100), quantity=D(1), candle_open_ms=0, ts_ms=1
        )

        _, fired = armed.on_candle(candle(300_000, "1", "1", "1"), ts_ms=2)

        assert armed.status is ProtectionStatus.UNPROTECTED and fired is None
