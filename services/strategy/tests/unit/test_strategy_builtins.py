"""Every built-in strategy: vectorised == event signals, no lookahead, exit hints, state restore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.framework import BUILT_INS, BaseStrategy
from crypto_trader.strategy.domain.framework.indicator_strategies import IndicatorStrategy
from crypto_trader.strategy.domain.indicators import CandleFrame

# Small parameter ranges keep warm-ups short enough for signals on a few hundred candles.
PARAMETER_RANGES: dict[str, dict[str, Any]] = {
    "sma_cross": {"fast": st.integers(2, 8), "slow": st.integers(9, 30)},
    "ema_cross": {"fast": st.integers(2, 8), "slow": st.integers(9, 30)},
    "rsi_mean_reversion": {
        "period": st.integers(2, 20),
        "lower": st.floats(20, 45),
        "upper": st.floats(55, 80),
    },
    "macd_trend": {
        "fast": st.integers(2, 8),
        "slow": st.integers(9, 20),
        "signal": st.integers(1, 9),
    },
    # From period 3: over two closes, bands one deviation wide pass through both closes, an
    # exact tie with the rule's threshold that batch and stream values round either way.
    "bollinger_reversion": {"period": st.integers(3, 30), "width": st.floats(0.5, 3.0)},
    "bollinger_breakout": {"period": st.integers(3, 30), "width": st.floats(0.5, 3.0)},
    "donchian_breakout": {"entry_period": st.integers(2, 30), "exit_period": st.integers(2, 30)},
    "buy_and_hold": {},
}
HINTS = {
    "stop_loss": st.sampled_from([0.0, 0.02]),
    "take_profit": st.sampled_from([0.0, 0.05]),
    "trailing_stop": st.sampled_from([0.0, 0.03]),
}


def random_walk(seed: int, count: int) -> CandleFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, count)))
    open_ = np.concatenate((close[:1], close[:-1]))
    spread = np.abs(rng.normal(0.0, 0.004, count))
    return CandleFrame(
        open_time_ms=np.arange(count, dtype=np.int64) * 300_000,
        open=open_,
        high=np.maximum(open_, close) * (1.0 + spread),
        low=np.minimum(open_, close) * (1.0 - spread),
        close=close,
        volume=rng.uniform(1.0, 10.0, count),
    )


def event_signals(strategy: BaseStrategy, frame: CandleFrame) -> list[Any]:
    strategy.reset()
    return [strategy.on_candle(frame.bar(i)) for i in range(len(frame))]


def vectorised_signals(strategy: BaseStrategy, frame: CandleFrame) -> list[Any]:
    signals = strategy.generate(frame)
    return [signals.at(i) for i in range(len(frame))]


def test_catalogue_holds_every_built_in() -> None:
    assert set(BUILT_INS) == set(PARAMETER_RANGES)


@pytest.mark.parametrize("name", sorted(PARAMETER_RANGES))
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1), count=st.integers(0, 300))
def test_vectorised_and_event_paths_give_the_same_signals(
    name: str, data: st.DataObject, seed: int, count: int
) -> None:
    strategy_class = BUILT_INS[name]
    ranges = dict(PARAMETER_RANGES[name])
    if issubclass(strategy_class, IndicatorStrategy):
        ranges |= HINTS
    params = data.draw(st.fixed_dictionaries(ranges))
    try:
        strategy = strategy_class(params)
    except InvalidInput:
        return  # e.g. fast >= slow: rejected by the schema, nothing to compare
    frame = random_walk(seed, count)

    assert vectorised_signals(strategy, frame) == event_signals(strategy, frame)


@pytest.fixture(scope="module")
def btc_frame(shared_data_dir: Path) -> CandleFrame:
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    rows = json.loads(path.read_text())[:3000]
    return CandleFrame.from_rows(rows)


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_signals_never_depend_on_later_candles(name: str, btc_frame: CandleFrame) -> None:
    strategy = BUILT_INS[name]()
    full = vectorised_signals(strategy, btc_frame)

    for end in range(1, len(btc_frame), 97):
        assert vectorised_signals(strategy, btc_frame.head(end)) == full[:end], end
    assert any(full), "no signal at all on real data"


@pytest.mark.parametrize("name", sorted(BUILT_INS))
def test_real_data_signals_agree_between_paths(name: str, btc_frame: CandleFrame) -> None:
    strategy = BUILT_INS[name]()

    assert vectorised_signals(strategy, btc_frame) == event_signals(strategy, btc_frame)


def test_entries_carry_exit_hints_from_the_entry_close() -> None:
    strategy = BUILT_INS["buy_and_hold"]({"stop_loss": 0.1, "take_profit": 0.5})
    frame = random_walk(3, 5)

    signal = strategy.generate(frame).at(0)

    assert signal is not None and signal.enter_long
    assert signal.stop_loss == pytest.approx(frame.close[0] * 0.9)
    assert signal.take_profit == pytest.approx(frame.close[0] * 1.5)
    assert signal.trailing_stop is None


@pytest.mark.parametrize("name", sorted(BUILT_INS))
@pytest.mark.parametrize("stop_after", [0, 10, 150])
def test_restored_state_continues_like_an_uninterrupted_run(name: str, stop_after: int) -> None:
    frame = random_walk(11, 400)
    uninterrupted = event_signals(BUILT_INS[name](), frame)
    first = BUILT_INS[name]()
    head = [first.on_candle(frame.bar(i)) for i in range(stop_after)]
    state = first.state()
    assert state is not None
    saved = json.loads(json.dumps(state, allow_nan=False))

    second = BUILT_INS[name]()
    second.load_state(saved)
    tail = [second.on_candle(frame.bar(i)) for i in range(stop_after, len(frame))]

    assert head + tail == uninterrupted


def test_a_state_of_another_strategy_is_refused() -> None:
    rsi = BUILT_INS["rsi_mean_reversion"]()
    state = BUILT_INS["macd_trend"]().state()
    assert state is not None

    with pytest.raises(InvalidInput):
        rsi.load_state(state)
    with pytest.raises(InvalidInput):
        BUILT_INS["sma_cross"]().load_state({"seen": "x"})


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("rsi_mean_reversion", {"lower": 80, "upper": 20}),
        ("macd_trend", {"fast": 30, "slow": 20}),
        ("bollinger_breakout", {"period": 1}),
        ("donchian_breakout", {"stop_loss": 1.5}),
    ],
)
def test_invalid_parameters_are_rejected(name: str, params: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput):
        BUILT_INS[name](params)
