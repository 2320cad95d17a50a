"""Streaming indicators give the batch values candle by candle, peek safely and survive restarts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.indicators import (
    INDICATORS,
    CandleFrame,
    compute,
    open_stream,
    restore_stream,
)

TOLERANCE = 1e-9
CANDLES = 6_000

PARAMETER_SETS = [
    ("sma", {}),
    ("sma", {"period": 2, "source": "volume"}),
    ("ema", {"period": 9}),
    ("ema", {"period": 200, "source": "open"}),
    ("wma", {"period": 20}),
    ("rsi", {"period": 14}),
    ("rsi", {"period": 2, "source": "low"}),
    ("macd", {}),
    ("macd", {"fast": 5, "slow": 35, "signal": 1}),
    ("bbands", {}),
    ("bbands", {"period": 5, "nbdev_up": 3.0, "nbdev_down": 0.5}),
    ("atr", {"period": 14}),
    ("atr", {"period": 2}),
    ("adx", {"period": 14}),
    ("adx", {"period": 3}),
    ("stoch", {}),
    ("stoch", {"fastk_period": 14, "slowk_period": 1, "slowd_period": 5}),
    ("obv", {}),
    ("vwap", {}),
    ("vwap", {"period": 288}),
    ("donchian", {"period": 20}),
    ("donchian", {"period": 2}),
    ("keltner", {}),
    ("keltner", {"period": 5, "atr_period": 30, "multiplier": 1.5}),
    ("ichimoku", {}),
    ("ichimoku", {"tenkan": 20, "kijun": 60, "senkou": 120, "displacement": 0}),
]


@pytest.fixture(scope="module")
def frame(shared_data_dir) -> CandleFrame:
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "ETH_USDT-5m.json"
    return CandleFrame.from_rows(json.loads(path.read_text())[:CANDLES])


def candles(frame: CandleFrame) -> list[tuple[float, float, float, float, float]]:
    columns = (frame.open, frame.high, frame.low, frame.close, frame.volume)
    return list(zip(*(column.tolist() for column in columns), strict=True))


def streamed(stream, bars) -> np.ndarray:
    rows = [stream.update(*bar) for bar in bars]
    return np.array(rows, dtype=float).reshape(len(bars), len(stream.outputs))


def assert_matches_batch(name, params, frame, values: np.ndarray) -> None:
    batch = compute(name, frame, **params)
    for column, output in enumerate(INDICATORS[name].outputs):
        expected = batch[output]
        np.testing.assert_array_equal(np.isnan(values[:, column]), np.isnan(expected), output)
        defined = ~np.isnan(expected)
        error = np.abs(values[defined, column] - expected[defined])
        assert (error <= TOLERANCE * np.maximum(1.0, np.abs(expected[defined]))).all(), output


class TestStreamEqualsBatch:
    @pytest.mark.parametrize(("name", "params"), PARAMETER_SETS)
    def test_candle_by_candle_values_equal_batch_values(self, frame, name, params):
        values = streamed(open_stream(name, **params), candles(frame))

        assert_matches_batch(name, params, frame, values)

    @pytest.mark.parametrize(("name", "params"), PARAMETER_SETS)
    def test_value_reports_the_last_update(self, frame, name, params):
        stream = open_stream(name, **params)
        for bar in candles(frame)[:300]:
            returned = stream.update(*bar)

        assert stream.value == returned


class TestPeek:
    @pytest.mark.parametrize(("name", "params"), PARAMETER_SETS)
    def test_peek_returns_the_next_update_without_changing_state(self, frame, name, params):
        bars = candles(frame)[:400]
        stream = open_stream(name, **params)
        for bar in bars[:300]:
            stream.update(*bar)
        before = stream.snapshot()

        forming = [stream.peek(o, h * 1.01, lo * 0.99, c * 1.002, v * 3) for o, h, lo, c, v in bars]
        peeked = stream.peek(*bars[300])

        assert stream.snapshot() == before
        assert len(forming) == len(bars)
        np.testing.assert_array_equal(peeked, stream.update(*bars[300]))


class TestSnapshot:
    @pytest.mark.parametrize(("name", "params"), PARAMETER_SETS)
    def test_restored_stream_continues_exactly_like_the_original(self, frame, name, params):
        bars = candles(frame)[:1500]
        original = open_stream(name, **params)
        for bar in bars[:1000]:
            original.update(*bar)

        saved = json.loads(json.dumps(original.snapshot(), allow_nan=False))
        restored = restore_stream(saved)

        assert restored.value == pytest.approx(original.value, nan_ok=True)
        np.testing.assert_array_equal(
            streamed(restored, bars[1000:]), streamed(original, bars[1000:])
        )

    def test_snapshot_taken_during_warm_up_continues_correctly(self, frame):
        bars = candles(frame)[:200]
        stream = open_stream("ichimoku")
        for bar in bars[:30]:
            stream.update(*bar)

        restored = restore_stream(json.loads(json.dumps(stream.snapshot())))
        values = np.vstack(
            [streamed(open_stream("ichimoku"), bars[:30]), streamed(restored, bars[30:])]
        )

        assert_matches_batch("ichimoku", {}, frame.head(200), values)

    @pytest.mark.parametrize(
        "snapshot",
        [{}, {"indicator": "nope", "params": {}, "state": {}}, {"indicator": "sma", "params": {}}],
    )
    def test_rejects_what_is_not_a_snapshot(self, snapshot):
        with pytest.raises(InvalidInput):
            restore_stream(snapshot)


def random_walk(seed: int, n: int) -> CandleFrame:
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    open_ = np.concatenate(([100.0], close[:-1]))
    spread = np.abs(rng.normal(0.0, 0.005, (2, n))) * close
    high = np.maximum(open_, close) + spread[0]
    low = np.minimum(open_, close) - spread[1]
    volume = rng.lognormal(3.0, 1.0, n)
    times = np.arange(n, dtype=np.int64) * 60_000
    return CandleFrame(times, open_, high, low, close, volume)


periods = st.integers(min_value=2, max_value=60)


@st.composite
def indicator_and_params(draw):
    name = draw(st.sampled_from(sorted(INDICATORS)))
    if name == "obv":
        params = {}
    elif name == "vwap":
        params = {"period": draw(st.sampled_from([0, 2, 3, 50]))}
    elif name == "keltner":
        params = {"period": draw(periods), "atr_period": draw(st.integers(1, 40))}
    elif name == "ichimoku":
        params = {
            "tenkan": draw(periods),
            "kijun": draw(periods),
            "senkou": draw(periods),
            "displacement": draw(st.integers(0, 40)),
        }
    elif name == "macd":
        fast = draw(st.integers(2, 30))
        params = {"fast": fast, "slow": draw(st.integers(fast + 1, 60)), "signal": draw(periods)}
    elif name == "stoch":
        params = {f"{k}_period": draw(st.integers(1, 20)) for k in ("fastk", "slowk", "slowd")}
    elif name == "bbands":
        params = {"period": draw(periods), "nbdev_up": draw(st.floats(0.0, 4.0))}
    else:
        params = {"period": draw(periods)}
    return name, params


class TestRandomWalks:
    @settings(max_examples=150, deadline=None)
    @given(
        case=indicator_and_params(),
        seed=st.integers(0, 2**32 - 1),
        n=st.integers(1, 400),
        cut=st.floats(0.0, 1.0),
    )
    def test_stream_with_a_restart_anywhere_equals_batch(self, case, seed, n, cut):
        name, params = case
        frame = random_walk(seed, n)
        bars = candles(frame)
        split = int(cut * n)
        first = open_stream(name, **params)
        head = streamed(first, bars[:split])
        restored = restore_stream(json.loads(json.dumps(first.snapshot())))

        values = np.vstack([head, streamed(restored, bars[split:])])

        assert_matches_batch(name, params, frame, values)
