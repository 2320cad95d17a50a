"""Live instances: shorts and reversals, exit hints as prices, and the vectorised path's signals."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints
from crypto_trader.strategy.domain.framework import (
    BUILT_INS,
    BaseStrategy,
    Parameter,
    Signal,
    SignalAction,
    SignalFrame,
    signal_actions,
)
from crypto_trader.strategy.domain.indicators import CandleFrame, PriceBar
from crypto_trader.strategy.domain.instance import InstanceSpec, entry_hints
from crypto_trader.strategy.domain.schedule import Schedule
from crypto_trader.strategy.handlers import StrategyRunner
from crypto_trader.strategy.testing import (
    FakeMarketHistory,
    InMemoryInstanceRepository,
    RecordingSignalPublisher,
    candles_from_closes,
    vectorised_actions,
)

D = Decimal
E = SignalAction
# Flat, a rise (the fast SMA crosses above), a fall (below), a rise again.
CLOSES = [D(v) for v in [10] * 8 + [11, 12, 13, 14] + [9, 8, 7, 6] + [12, 13, 14, 15]]


class Scripted(BaseStrategy):
    """Emit a given signal on given candles (by index): a strategy written for the test."""

    name: ClassVar[str] = "scripted"
    description: ClassVar[str] = "Signals from a script."
    parameters: ClassVar[tuple[Parameter, ...]] = ()

    def __init__(self, script: Mapping[int, Signal]) -> None:
        self.script = dict(script)
        super().__init__()

    @property
    def warmup(self) -> int:
        return 0

    def generate(self, frame: CandleFrame) -> SignalFrame:
        raise NotImplementedError  # the live path never calls it

    def reset(self) -> None:
        self._seen = 0

    def on_candle(self, bar: PriceBar) -> Signal | None:
        index, self._seen = self._seen, self._seen + 1
        return self.script.get(index)

    def state(self) -> dict[str, Any]:
        return {"seen": self._seen}

    def load_state(self, state: Mapping[str, Any]) -> None:
        self._seen = int(state["seen"])


def runner_of(
    strategy: str,
    factory: Any,
    params: Mapping[str, Any] | None = None,
    schedule: Schedule | None = None,
    repository: InMemoryInstanceRepository | None = None,
) -> tuple[StrategyRunner, RecordingSignalPublisher]:
    spec = InstanceSpec.create(
        strategy, "paper", "binance", "BTC/USDT", "5m", params or {}, schedule
    )
    publisher = RecordingSignalPublisher()
    runner = StrategyRunner(
        spec,
        factory,
        history=FakeMarketHistory(),
        instances=repository or InMemoryInstanceRepository(),
        publisher=publisher,
        clock=FakeClock(1_700_000_000_000),
    )
    return runner, publisher


async def feed(runner: StrategyRunner, candles: Sequence[Candle]) -> None:
    for candle in candles:
        await runner.process_candle(candle)


class TestSignalActions:
    @pytest.mark.parametrize(
        ("signal", "actions"),
        [
            (None, ()),
            (Signal(), ()),
            (Signal(enter_long=True), (E.ENTER_LONG,)),
            (Signal(exit_long=True, enter_short=True), (E.EXIT_LONG, E.ENTER_SHORT)),
            (Signal(enter_long=True, exit_short=True), (E.EXIT_SHORT, E.ENTER_LONG)),
            # conflicts drop the entry, as the backtest engine does; exits always stay
            (Signal(enter_long=True, enter_short=True), ()),
            (Signal(enter_long=True, exit_long=True), (E.EXIT_LONG,)),
            (
                Signal(enter_short=True, exit_short=True, exit_long=True),
                (E.EXIT_LONG, E.EXIT_SHORT),
            ),
        ],
    )
    def test_exits_come_first_and_conflicting_entries_are_dropped(
        self, signal: Signal | None, actions: tuple[SignalAction, ...]
    ) -> None:
        assert signal_actions(signal) == actions


class TestReversal:
    async def test_a_cross_down_publishes_the_exit_then_the_short_entry(self) -> None:
        params = {"fast": 3, "slow": 8, "short": True}
        runner, publisher = runner_of("sma_cross", lambda: BUILT_INS["sma_cross"](params), params)
        candles = candles_from_closes(CLOSES)

        await feed(runner, candles)

        emitted = [(s.candle_open_time_ms, s.action) for s in publisher.published]
        up, down, up_again = (candles[i].open_time_ms for i in (8, 13, 17))
        assert emitted == [
            (up, E.EXIT_SHORT),
            (up, E.ENTER_LONG),
            (down, E.EXIT_LONG),
            (down, E.ENTER_SHORT),
            (up_again, E.EXIT_SHORT),
            (up_again, E.ENTER_LONG),
        ]
        ids = [s.signal_id for s in publisher.published]
        assert len(set(ids)) == len(ids)
        instance_id = runner.spec.instance_id
        assert ids[3] == stable_id("signal", instance_id, down, "enter_short")
        assert all(s.reference_price == candles[13].close for s in publisher.published[2:4])

    async def test_the_progress_counts_both_signals_of_a_reversal(self) -> None:
        params = {"fast": 3, "slow": 8, "short": True}
        repository = InMemoryInstanceRepository()
        runner, publisher = runner_of(
            "sma_cross", lambda: BUILT_INS["sma_cross"](params), params, repository=repository
        )

        await feed(runner, candles_from_closes(CLOSES))

        status = repository.get(runner.spec.instance_id)
        assert status is not None
        assert status.progress.signals_emitted == len(publisher.published) == 6

    async def test_a_long_only_instance_publishes_no_short(self) -> None:
        params = {"fast": 3, "slow": 8, "short": False}
        runner, publisher = runner_of("sma_cross", lambda: BUILT_INS["sma_cross"](params), params)

        await feed(runner, candles_from_closes(CLOSES))

        assert [s.action for s in publisher.published] == [E.ENTER_LONG, E.EXIT_LONG, E.ENTER_LONG]


class TestExitHints:
    async def test_entries_carry_the_strategy_prices_and_a_trail_priced_from_the_close(
        self,
    ) -> None:
        script = {
            1: Signal(enter_long=True, stop_loss=95.5, take_profit=120.0, trailing_stop=0.02),
            2: Signal(exit_long=True, enter_short=True, stop_loss=110.25, trailing_stop=0.05),
            3: Signal(exit_short=True, stop_loss=1.0),
        }
        runner, publisher = runner_of("scripted", lambda: Scripted(script))
        candles = candles_from_closes([D(100), D(100), D(105), D(104)])

        await feed(runner, candles)

        assert [(s.action, s.hints) for s in publisher.published] == [
            (E.ENTER_LONG, ExitHints(D("95.5"), D("120.0"), D("98.00"))),
            (E.EXIT_LONG, NO_HINTS),
            # a short's trail lies above the close: 105 * (1 + 0.05)
            (E.ENTER_SHORT, ExitHints(stop_loss=D("110.25"), trailing_stop=D("110.25"))),
            (E.EXIT_SHORT, NO_HINTS),
        ]

    def test_a_trail_of_one_or_more_is_refused(self) -> None:
        with pytest.raises(InvalidInput):
            entry_hints(Signal(enter_short=True, trailing_stop=1.0), E.ENTER_SHORT, D(100))

    async def test_a_strategy_giving_a_negative_stop_stops_its_instance_only(self) -> None:
        bad_stop = {0: Signal(enter_long=True, stop_loss=-1.0)}
        runner, publisher = runner_of("scripted", lambda: Scripted(bad_stop))

        with pytest.raises(InvalidInput):
            await runner.process_candle(candles_from_closes([D(100)])[0])

        assert runner.failure is not None and publisher.published == []


class TestScheduleWithShorts:
    async def test_short_entries_count_against_the_daily_limit(self) -> None:
        params = {"fast": 3, "slow": 8, "short": True}
        runner, publisher = runner_of(
            "sma_cross",
            lambda: BUILT_INS["sma_cross"](params),
            params,
            Schedule(max_trades_per_day=2),
        )

        await feed(runner, candles_from_closes(CLOSES))

        # long (1st entry), short (2nd), then the day's budget is spent: the last entry is
        # dropped but every exit still passes
        assert [s.action for s in publisher.published] == [
            E.EXIT_SHORT,
            E.ENTER_LONG,
            E.EXIT_LONG,
            E.ENTER_SHORT,
            E.EXIT_SHORT,
        ]

    async def test_outside_the_window_a_reversal_only_exits(self) -> None:
        params = {"fast": 3, "slow": 8, "short": True}
        candles = candles_from_closes(CLOSES)
        # open until the long entry's candle closed, stopped before the cross down
        schedule = Schedule(stop_ms=candles[10].open_time_ms)
        runner, publisher = runner_of(
            "sma_cross", lambda: BUILT_INS["sma_cross"](params), params, schedule
        )

        await feed(runner, candles)

        assert [s.action for s in publisher.published] == [
            E.EXIT_SHORT,
            E.ENTER_LONG,
            E.EXIT_LONG,
            E.EXIT_SHORT,
        ]


def random_candles(seed: int, count: int) -> list[Candle]:
    # A random walk in whole cents, so candles are exact decimals like an exchange's.
    state, closes = seed, []
    price = 2_000_000
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) % 2**64
        price = max(100, price + (state >> 33) % 8001 - 4000)
        closes.append(D(price).scaleb(-2))
    return candles_from_closes(closes)


SHORT_CAPABLE = {
    "sma_cross": st.fixed_dictionaries(
        {"fast": st.integers(2, 6), "slow": st.integers(7, 20), "short": st.just(True)}
    ),
    "ema_cross": st.fixed_dictionaries(
        {"fast": st.integers(2, 6), "slow": st.integers(7, 20), "short": st.just(True)}
    ),
    # long only, but its entries carry hints: the live prices must be the vectorised ones
    "bollinger_reversion": st.fixed_dictionaries(
        {
            "period": st.integers(3, 20),
            "stop_loss": st.sampled_from([0.0, 0.02]),
            "take_profit": st.sampled_from([0.0, 0.05]),
            "trailing_stop": st.sampled_from([0.0, 0.03]),
        }
    ),
}


@pytest.mark.parametrize("name", sorted(SHORT_CAPABLE))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), count=st.integers(0, 250))
def test_live_signals_equal_the_vectorised_path(
    name: str, data: st.DataObject, seed: int, count: int
) -> None:
    params = data.draw(SHORT_CAPABLE[name])
    strategy_class = BUILT_INS[name]
    candles = random_candles(seed, count)
    runner, publisher = runner_of(name, lambda: strategy_class(params), params)

    asyncio.run(feed(runner, candles))

    index = {c.open_time_ms: i for i, c in enumerate(candles)}
    live = [(index[s.candle_open_time_ms], s.action, s.hints) for s in publisher.published]
    assert live == vectorised_actions(strategy_class(params), candles)
