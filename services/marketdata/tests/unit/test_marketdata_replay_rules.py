"""Replay rules: source order, resume point, pacing and event ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common.errors import ConfigurationError
from crypto_trader.marketdata.domain.market import MarketKey, floor_open_time, is_aligned
from crypto_trader.marketdata.domain.replay import (
    CursorSchedule,
    ReplayPacer,
    ReplayWindow,
    SourceKind,
    candle_event_id,
    pacing_interval_seconds,
    source_plan,
)
from crypto_trader.marketdata.testing import BTC_5M, make_candles

STEP = BTC_5M.timeframe_ms
SPEED = 1500.0  # a 5m candle every 0.2 s


class TestSourcePlan:
    def test_auto_with_a_replay_file_replays_only_the_file(self) -> None:
        assert source_plan("auto", has_replay_file=True) == (SourceKind.FILE,)

    def test_auto_without_a_file_replays_the_store_then_a_synthetic_series(self) -> None:
        assert source_plan("auto", has_replay_file=False) == (
            SourceKind.STORE,
            SourceKind.SYNTHETIC,
        )

    def test_ccxt_replays_the_store_but_never_synthetic_data(self) -> None:
        assert source_plan("ccxt", has_replay_file=False) == (SourceKind.STORE,)

    def test_store_replays_only_the_store(self) -> None:
        assert source_plan("store", has_replay_file=True) == (SourceKind.STORE,)

    def test_file_source_without_a_file_is_a_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError, match="REPLAY_FILE"):
            source_plan("file", has_replay_file=False)

    def test_unknown_source_is_a_configuration_error(self) -> None:
        with pytest.raises(ConfigurationError, match="unknown source"):
            source_plan("kafka", has_replay_file=False)


class TestReplayWindow:
    def test_starts_at_the_window_start_without_a_cursor(self) -> None:
        assert ReplayWindow(BTC_5M, 1000, None).resume_from(None) == 1000

    def test_resumes_just_after_the_cursor(self) -> None:
        assert ReplayWindow(BTC_5M, 1000, None).resume_from(600_000) == 600_001

    def test_a_cursor_before_the_window_does_not_move_the_start_back(self) -> None:
        assert ReplayWindow(BTC_5M, 900_000, None).resume_from(300_000) == 900_000


class TestPacing:
    def test_default_speed_replays_a_five_minute_candle_every_fifth_of_a_second(self) -> None:
        assert pacing_interval_seconds(300_000, 1500.0) == pytest.approx(0.2)

    def test_speed_must_not_be_negative(self) -> None:
        with pytest.raises(ConfigurationError):
            pacing_interval_seconds(300_000, -1)

    def test_speed_zero_is_unpaced(self) -> None:
        pacer = ReplayPacer(STEP, 0)
        assert pacing_interval_seconds(STEP, 0) == 0
        assert [pacer.delay(10.0, STEP * n) for n in range(1, 4)] == [0, 0, 0]

    def test_publishes_the_first_candle_at_once_then_one_per_interval(self) -> None:
        pacer = ReplayPacer(STEP, SPEED)
        assert pacer.delay(10.0, STEP) == 0
        assert pacer.delay(10.05, 2 * STEP) == pytest.approx(0.15)
        assert pacer.delay(10.2, 3 * STEP) == pytest.approx(0.2)

    def test_events_at_the_same_time_share_one_slot(self) -> None:
        pacer = ReplayPacer(STEP, SPEED)
        pacer.delay(10.0, STEP)
        assert pacer.delay(10.0, 2 * STEP) == pytest.approx(0.2)
        assert pacer.delay(10.2, 2 * STEP) == 0

    def test_a_trade_inside_a_candle_waits_its_share_of_the_interval(self) -> None:
        pacer = ReplayPacer(STEP, SPEED)
        pacer.delay(10.0, STEP)
        assert pacer.delay(10.0, STEP + STEP // 4) == pytest.approx(0.05)
        assert pacer.delay(10.05, 2 * STEP) == pytest.approx(0.15)

    def test_a_gap_in_the_data_costs_one_interval_not_its_length(self) -> None:
        pacer = ReplayPacer(STEP, SPEED)
        pacer.delay(10.0, STEP)
        assert pacer.delay(10.0, 50 * STEP) == pytest.approx(0.2)

    def test_a_slightly_late_publish_catches_up_without_waiting(self) -> None:
        pacer = ReplayPacer(STEP, SPEED)
        pacer.delay(10.0, STEP)
        assert pacer.delay(10.25, 2 * STEP) == 0
        assert pacer.delay(10.3, 3 * STEP) == pytest.approx(0.1)

    def test_a_long_stall_restarts_the_schedule_instead_of_bursting(self) -> None:
        pacer = ReplayPacer(STEP, SPEED)
        pacer.delay(10.0, STEP)
        assert pacer.delay(15.0, 2 * STEP) == 0
        assert pacer.delay(15.0, 3 * STEP) == pytest.approx(0.2)

    @given(
        st.lists(
            st.tuples(st.floats(min_value=0, max_value=0.5), st.integers(0, 3 * STEP)),
            min_size=1,
            max_size=50,
        )
    )
    def test_never_waits_longer_than_one_interval(self, steps: list[tuple[float, int]]) -> None:
        pacer = ReplayPacer(STEP, SPEED)
        now, event_ms = 0.0, 0
        for gap, advance_ms in steps:
            now += gap
            event_ms += advance_ms
            wait = pacer.delay(now, event_ms)
            assert 0 <= wait <= 0.2 + 1e-9
            now += wait


class TestCandleEventId:
    def test_is_the_same_for_the_same_candle_on_every_replay(self) -> None:
        first, again = make_candles(count=1)[0], make_candles(count=1)[0]
        assert candle_event_id(first) == candle_event_id(again)

    def test_differs_between_open_times(self) -> None:
        first, second = make_candles(count=2)
        assert candle_event_id(first) != candle_event_id(second)


class TestAlignment:
    def test_five_minute_candles_open_on_five_minute_boundaries(self) -> None:
        assert is_aligned(1_606_780_800_000, 300_000)
        assert not is_aligned(1_606_780_860_000, 300_000)

    def test_weekly_candles_open_on_mondays(self) -> None:
        monday = 1_606_694_400_000  # 2020-11-30 00:00 UTC
        assert is_aligned(monday, MarketKey("binance", "BTC/USDT", "1w").timeframe_ms)
        assert floor_open_time(monday + 3 * 86_400_000, 604_800_000) == monday

    def test_market_key_rejects_malformed_parts(self) -> None:
        for parts in (
            ("Bin ance", "BTC/USDT", "5m"),
            ("binance", "BTCUSDT", "5m"),
            ("binance", "BTC/USDT", "5x"),
        ):
            with pytest.raises(Exception, match="exchange|symbol|timeframe"):
                MarketKey.parse(*parts)


class TestCursorSchedule:
    def test_a_save_is_due_after_every_n_items(self) -> None:
        schedule = CursorSchedule(3, 60.0)

        due = [schedule.published(0.0) for _ in range(3)]
        schedule.saved()
        after_save = [schedule.published(0.0) for _ in range(3)]

        assert due == [False, False, True]
        assert after_save == [False, False, True]

    def test_a_save_is_due_once_the_first_unsaved_item_is_that_old(self) -> None:
        schedule = CursorSchedule(100, 1.0)

        assert not schedule.published(10.0)
        assert not schedule.published(10.9)
        assert schedule.published(11.0)
        schedule.saved()
        assert not schedule.published(11.5)  # the clock restarts with the next unsaved item

    @pytest.mark.parametrize(("every", "seconds"), [(0, 1.0), (5, -1.0)])
    def test_a_meaningless_schedule_is_a_configuration_error(
        self, every: int, seconds: float
    ) -> None:
        with pytest.raises(ConfigurationError):
            CursorSchedule(every, seconds)
