"""The strategy runner: one signal per cross, nothing twice, exact resumption after a restart."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle
from crypto_trader.strategy.domain.framework import SignalAction, SmaCross
from crypto_trader.strategy.domain.instance import InstanceSpec
from crypto_trader.strategy.handlers import StrategyRunner
from crypto_trader.strategy.testing import (
    FakeMarketHistory,
    InMemoryInstanceRepository,
    RecordingSignalPublisher,
    candles_from_closes,
    vectorised_actions,
)

PARAMS = {"fast": 3, "slow": 8, "short": False}
SPEC = InstanceSpec.create("sma_cross", "paper", "binance", "BTC/USDT", "5m", PARAMS)
SLOW = 8


def vectorised_signals(closes: list[Decimal]) -> list[tuple[int, str]]:
    # The framework's vectorised path over the same candles: what the live path must emit.
    candles = candles_from_closes(closes)
    return [(i, action.value) for i, action, _ in vectorised_actions(SmaCross(PARAMS), candles)]


def _wavy_closes(count: int) -> list[Decimal]:
    # A deterministic wave with drift, in whole cents: plenty of crosses both ways.
    cents = [
        2_000_000 + round(40_000 * math.sin(i / 5) + 15_000 * math.sin(i / 1.7)) + 300 * i
        for i in range(count)
    ]
    return [Decimal(c).scaleb(-2) for c in cents]


class Harness:
    """A runner wired to fakes, plus a store that only holds candles already 'published'."""

    def __init__(self, repository: InMemoryInstanceRepository | None = None) -> None:
        self.history = FakeMarketHistory()
        self.repository = repository or InMemoryInstanceRepository()
        self.publisher = RecordingSignalPublisher()
        self.clock = FakeClock(1_700_000_000_000)
        self.runner = self.restart()

    def restart(self) -> StrategyRunner:
        self.runner = StrategyRunner(
            SPEC,
            lambda: SmaCross(PARAMS),
            history=self.history,
            instances=self.repository,
            publisher=self.publisher,
            clock=self.clock,
        )
        return self.runner

    async def publish(self, candle: Candle) -> None:
        # marketdata stores a candle before publishing it.
        if candle not in self.history.candles:
            self.history.candles.append(candle)
        await self.runner.process_candle(candle)

    def emitted(self, candles: list[Candle]) -> list[tuple[int, str]]:
        index = {c.open_time_ms: i for i, c in enumerate(candles)}
        return [(index[s.candle_open_time_ms], s.action.value) for s in self.publisher.published]


class TestStrategyRunner:
    async def test_emits_exactly_the_batch_signals_of_the_same_closes(self) -> None:
        closes = _wavy_closes(200)
        candles = candles_from_closes(closes)
        harness = Harness()

        for candle in candles:
            await harness.publish(candle)

        expected = vectorised_signals(closes)
        assert len(expected) > 6
        assert harness.emitted(candles) == expected

    async def test_signal_carries_contract_ids_and_the_candle_close(self) -> None:
        closes = _wavy_closes(60)
        candles = candles_from_closes(closes)
        harness = Harness()

        for candle in candles:
            await harness.publish(candle)

        signal = harness.publisher.published[0]
        candle = next(c for c in candles if c.open_time_ms == signal.candle_open_time_ms)
        assert signal.instance_id == stable_id(
            "sma_cross",
            "paper",
            "binance",
            "BTC/USDT",
            "5m",
            '{"fast": 3, "short": false, "slow": 8}',
        )
        assert signal.signal_id == stable_id(
            "signal", signal.instance_id, candle.open_time_ms, signal.action.value
        )
        assert signal.reference_price == candle.close
        assert (signal.account, signal.exchange, signal.symbol, signal.timeframe) == (
            "paper",
            "binance",
            "BTC/USDT",
            "5m",
        )
        assert signal.ts_event == harness.clock.now_ms()

    async def test_ignores_redelivered_and_older_candles(self) -> None:
        closes = _wavy_closes(80)
        candles = candles_from_closes(closes)
        harness = Harness()
        for candle in candles:
            await harness.publish(candle)
        before = harness.repository.get(SPEC.instance_id)

        for candle in [candles[40], candles[-1], candles[0]]:
            assert await harness.runner.process_candle(candle) == []

        assert harness.repository.get(SPEC.instance_id) == before
        assert harness.emitted(candles) == vectorised_signals(closes)

    async def test_ignores_forming_candles_and_other_markets(self) -> None:
        candles = candles_from_closes(_wavy_closes(3))
        harness = Harness()
        forming = replace(candles[0], closed=False)
        other = replace(candles[0], symbol="ETH/USDT")

        assert await harness.runner.process_candle(forming) == []
        assert await harness.runner.process_candle(other) == []

        assert harness.history.requests == []
        assert harness.repository.get(SPEC.instance_id) is None

    @pytest.mark.parametrize("stop_after", [1, 5, 8, 9, 37, 120])
    async def test_a_restarted_instance_emits_what_an_uninterrupted_one_would(
        self, stop_after: int
    ) -> None:
        closes = _wavy_closes(160)
        candles = candles_from_closes(closes)
        harness = Harness()
        for candle in candles[:stop_after]:
            await harness.publish(candle)

        harness.restart()
        # the stream redelivers a few candles that were not acknowledged
        for candle in candles[max(0, stop_after - 3) :]:
            await harness.publish(candle)

        assert harness.emitted(candles) == vectorised_signals(closes)
        status = harness.repository.get(SPEC.instance_id)
        assert status is not None
        assert status.progress.candles_seen == len(candles)
        assert status.progress.signals_emitted == len(harness.publisher.published)
        assert status.progress.last_candle_open_time_ms == candles[-1].open_time_ms

    async def test_a_new_instance_warms_up_from_history_before_its_first_candle(self) -> None:
        closes = _wavy_closes(120)
        candles = candles_from_closes(closes)
        harness = Harness()
        harness.history.candles = candles[:60]

        for candle in candles[60:]:
            await harness.runner.process_candle(candle)

        # three warm-ups of history, once
        assert harness.history.requests == [(candles[60].open_time_ms, 3 * SLOW)]
        expected = [(i, a) for i, a in vectorised_signals(closes) if i > 60]
        assert harness.emitted(candles) == expected

    async def test_a_restart_restores_the_saved_state_without_reading_history(self) -> None:
        candles = candles_from_closes(_wavy_closes(60))
        harness = Harness()
        for candle in candles[:30]:
            await harness.publish(candle)

        harness.history.requests.clear()
        harness.restart()
        for candle in candles[30:]:
            await harness.publish(candle)

        assert harness.history.requests == []
        status = harness.repository.get(SPEC.instance_id)
        assert status is not None and status.progress.strategy_state is not None

    async def test_a_failed_publish_is_retried_without_counting_the_candle_twice(self) -> None:
        closes = _wavy_closes(120)
        candles = candles_from_closes(closes)
        expected = vectorised_signals(closes)
        failing_index = expected[2][0]
        harness = Harness()
        for candle in candles[:failing_index]:
            await harness.publish(candle)

        harness.publisher.failures_left = 1
        with pytest.raises(RetryableError):
            await harness.publish(candles[failing_index])
        for candle in candles[failing_index:]:  # redelivery of the failed candle, then the rest
            await harness.publish(candle)

        assert harness.emitted(candles) == expected
        status = harness.repository.get(SPEC.instance_id)
        assert status is not None
        assert status.progress.candles_seen == len(candles)

    async def test_emits_enter_before_exit_on_a_simple_rise_and_fall(self) -> None:
        closes = [Decimal(v) for v in [10] * 8 + [11, 12, 13, 14] + [9, 8, 7, 6]]
        harness = Harness()

        for candle in candles_from_closes(closes):
            await harness.publish(candle)

        actions = [s.action for s in harness.publisher.published]
        assert actions == [SignalAction.ENTER_LONG, SignalAction.EXIT_LONG]
