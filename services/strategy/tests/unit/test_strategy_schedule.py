"""Instance schedules: active hours/days, start/stop, entries per day; judged by candle time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework import BUILT_INS, SignalAction, SmaCross
from crypto_trader.strategy.domain.instance import InstanceSpec
from crypto_trader.strategy.domain.schedule import (
    EntryBudget,
    Schedule,
    ScheduleState,
    allows_entry,
    schedule_state,
)
from crypto_trader.strategy.handlers import InstanceFleet, StrategyRunner
from crypto_trader.strategy.testing import (
    FakeMarketHistory,
    InMemoryInstanceRepository,
    RecordingSignalPublisher,
    candles_from_closes,
)


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


class TestSchedule:
    def test_active_hours_include_start_and_exclude_end(self) -> None:
        schedule = Schedule(active_hours=(8, 17))

        assert schedule.is_active(ms("2026-03-02T08:00:00"))
        assert schedule.is_active(ms("2026-03-02T16:59:59"))
        assert not schedule.is_active(ms("2026-03-02T17:00:00"))
        assert not schedule.is_active(ms("2026-03-02T07:59:59"))

    def test_active_hours_wrap_past_midnight(self) -> None:
        schedule = Schedule(active_hours=(22, 2))

        assert schedule.is_active(ms("2026-03-02T23:30:00"))
        assert schedule.is_active(ms("2026-03-03T01:30:00"))
        assert not schedule.is_active(ms("2026-03-03T02:00:00"))

    def test_active_days_are_utc_weekdays(self) -> None:
        weekdays = Schedule(active_days=frozenset(range(5)))

        assert weekdays.is_active(ms("2026-03-06T23:59:00"))  # Friday
        assert not weekdays.is_active(ms("2026-03-07T00:00:00"))  # Saturday

    def test_start_is_inclusive_and_stop_exclusive(self) -> None:
        schedule = Schedule(start_ms=1_000, stop_ms=2_000)

        assert [schedule.is_active(t) for t in (999, 1_000, 1_999, 2_000)] == [
            False,
            True,
            True,
            False,
        ]

    def test_entries_per_day_reset_at_utc_midnight(self) -> None:
        schedule = Schedule(max_trades_per_day=2)
        morning = ms("2026-03-02T09:00:00")
        budget = EntryBudget().on(morning).taken().taken()

        assert not allows_entry(schedule, budget, morning + 3_600_000)
        assert allows_entry(schedule, budget, ms("2026-03-03T00:00:00"))

    @pytest.mark.parametrize(
        ("schedule", "time", "state"),
        [
            (Schedule(), "2026-03-02T09:00:00", ScheduleState.ACTIVE),
            (Schedule(start_ms=ms("2026-03-03T00:00:00")), "2026-03-02T09:00", "not_started"),
            (Schedule(stop_ms=ms("2026-03-02T09:00:00")), "2026-03-02T09:00", "ended"),
            (Schedule(active_days=frozenset({1})), "2026-03-02T09:00:00", "outside_days"),
            (Schedule(active_hours=(10, 12)), "2026-03-02T09:00:00", "outside_hours"),
            # a day outside both rules: the weekday is named
            (
                Schedule(active_days=frozenset({1}), active_hours=(10, 12)),
                "2026-03-02T09:00:00",
                "outside_days",
            ),
            (Schedule(max_trades_per_day=1), "2026-03-02T09:00:00", "daily_limit_reached"),
        ],
    )
    def test_state_names_the_first_rule_that_keeps_entries_out(
        self, schedule: Schedule, time: str, state: str
    ) -> None:
        spent = EntryBudget().on(ms("2026-03-02T08:00:00")).taken()

        assert schedule_state(schedule, spent, ms(time)) == state

    @pytest.mark.parametrize(
        "fields",
        [
            {"active_hours": (5, 5)},
            {"active_hours": (24, 3)},
            {"active_days": frozenset({7})},
            {"start_ms": 5, "stop_ms": 5},
            {"max_trades_per_day": -1},
        ],
    )
    def test_refuses_a_schedule_that_cannot_work(self, fields: dict[str, object]) -> None:
        with pytest.raises(InvalidInput):
            Schedule(**fields)  # type: ignore[arg-type]


def _runner(
    spec: InstanceSpec, clock: FakeClock
) -> tuple[StrategyRunner, RecordingSignalPublisher]:
    publisher = RecordingSignalPublisher()
    runner = StrategyRunner(
        spec,
        lambda: BUILT_INS[spec.strategy](spec.parameters),
        history=FakeMarketHistory(),
        instances=InMemoryInstanceRepository(),
        publisher=publisher,
        clock=clock,
    )
    return runner, publisher


class TestScheduledInstance:
    async def test_replayed_candles_are_scheduled_by_their_own_time_not_the_clock(self) -> None:
        # The clock says 2030; the candles are from 2020 (a replay): only the 2020 window counts.
        clock = FakeClock(ms("2030-01-01T12:00:00"))
        start = ms("2020-12-01T00:00:00")
        schedule = Schedule(active_hours=(0, 1))  # the first hour of each UTC day
        spec = InstanceSpec.create(
            "buy_and_hold", "paper", "binance", "BTC/USDT", "5m", {}, schedule
        )
        candles = candles_from_closes([Decimal(100)] * 3, start_ms=start)
        runner, publisher = _runner(spec, clock)

        for candle in candles:
            await runner.process_candle(candle)

        assert [s.candle_open_time_ms for s in publisher.published] == [start]

    async def test_entries_outside_the_window_are_dropped_but_exits_pass(self) -> None:
        closes = [Decimal(v) for v in [10] * 8 + [11, 12, 13, 14] + [9, 8, 7, 6]]
        candles = candles_from_closes(closes, start_ms=ms("2026-03-02T10:00:00"))
        schedule = Schedule(stop_ms=candles[0].open_time_ms + 1)  # stopped before the cross
        params = {"fast": 3, "slow": 8, "short": False}
        spec = InstanceSpec.create(
            "sma_cross", "paper", "binance", "BTC/USDT", "5m", params, schedule
        )
        runner, publisher = _runner(spec, FakeClock())

        for candle in candles:
            await runner.process_candle(candle)

        assert [s.action for s in publisher.published] == [SignalAction.EXIT_LONG]

    async def test_max_trades_per_day_caps_entries_by_candle_day(self) -> None:
        # A wave that crosses many times a day; only two entries per UTC day may pass.
        closes = [Decimal(100 + (i // 6 % 2) * 5) for i in range(600)]
        candles = candles_from_closes(closes, start_ms=ms("2026-03-02T22:00:00"))
        params = {"fast": 2, "slow": 4, "short": False}
        spec = InstanceSpec.create(
            "sma_cross", "paper", "binance", "BTC/USDT", "5m", params,
            Schedule(max_trades_per_day=2),
        )  # fmt: skip
        runner, publisher = _runner(spec, FakeClock())

        for candle in candles:
            await runner.process_candle(candle)

        days: dict[int, int] = {}
        for signal in publisher.published:
            if signal.action is SignalAction.ENTER_LONG:
                day = (signal.candle_open_time_ms + 300_000) // 86_400_000
                days[day] = days.get(day, 0) + 1
        assert len(days) == 3 and set(days.values()) == {2}


class TestInstanceFleet:
    async def test_runs_several_instances_and_a_failing_strategy_stops_only_its_own(self) -> None:
        class Exploding(SmaCross):
            def on_candle(self, bar):  # type: ignore[no-untyped-def]
                raise ZeroDivisionError("boom")

        clock = FakeClock()
        repository = InMemoryInstanceRepository()
        publisher = RecordingSignalPublisher()
        closes = [Decimal(v) for v in [10] * 8 + [11, 12, 13, 14] + [9, 8, 7, 6]]
        candles = candles_from_closes(closes)

        def runner(strategy: str, factory):  # type: ignore[no-untyped-def]
            spec = InstanceSpec.create(
                strategy, "paper", "binance", "BTC/USDT", "5m", {"fast": 3, "slow": 8}
            )
            return StrategyRunner(
                spec, factory, history=FakeMarketHistory(), instances=repository,
                publisher=publisher, clock=clock,
            )  # fmt: skip

        good = runner("sma_cross", lambda: SmaCross({"fast": 3, "slow": 8}))
        bad = runner("ema_cross", lambda: Exploding({"fast": 3, "slow": 8}))
        hold = runner("buy_and_hold", lambda: BUILT_INS["buy_and_hold"]())
        fleet = InstanceFleet([good, bad, hold])

        for candle in candles:
            await fleet.process_candle(candle)

        assert fleet.markets() == [("binance", "BTC/USDT", "5m")]
        assert fleet.running() == {good.spec.instance_id, hold.spec.instance_id}
        assert bad.failure == "ZeroDivisionError: boom"
        by_instance = {s.instance_id for s in publisher.published}
        assert by_instance == {good.spec.instance_id, hold.spec.instance_id}
