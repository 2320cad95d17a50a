"""Batch indicators on real Binance candles agree with TA-Lib and with plain pandas references."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import talib

from crypto_trader.common.errors import InvalidInput
from crypto_trader.strategy.domain.indicators import INDICATORS, CandleFrame, compute, indicator

TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def frame(shared_data_dir) -> CandleFrame:
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    return CandleFrame.from_rows(json.loads(path.read_text()))


def assert_close(actual, expected, first_defined: int | None = None) -> None:
    actual, expected = np.asarray(actual, float), np.asarray(expected, float)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    if first_defined is not None:
        assert not np.isnan(expected[first_defined:]).any()
        assert np.isnan(expected[:first_defined]).all()
    defined = ~np.isnan(expected)
    error = np.abs(actual[defined] - expected[defined]) / np.maximum(1.0, np.abs(expected[defined]))
    assert error.max(initial=0.0) <= TOLERANCE


TALIB_CALLS = {
    "sma": ({"period": 20}, lambda f: [talib.SMA(f.close, 20)]),
    "ema": ({"period": 50}, lambda f: [talib.EMA(f.close, 50)]),
    "wma": ({"period": 10, "source": "high"}, lambda f: [talib.WMA(f.high, 10)]),
    "rsi": ({"period": 14}, lambda f: [talib.RSI(f.close, 14)]),
    "macd": ({"fast": 12, "slow": 26, "signal": 9}, lambda f: talib.MACD(f.close, 12, 26, 9)),
    "bbands": (
        {"period": 20, "nbdev_up": 2.0, "nbdev_down": 1.5},
        lambda f: talib.BBANDS(f.close, 20, 2.0, 1.5, 0),
    ),
    "atr": ({"period": 14}, lambda f: [talib.ATR(f.high, f.low, f.close, 14)]),
    "adx": ({"period": 14}, lambda f: [talib.ADX(f.high, f.low, f.close, 14)]),
    "stoch": (
        {"fastk_period": 14, "slowk_period": 3, "slowd_period": 3},
        lambda f: talib.STOCH(f.high, f.low, f.close, 14, 3, 0, 3, 0),
    ),
    "obv": ({}, lambda f: [talib.OBV(f.close, f.volume)]),
}


class TestAgainstTaLib:
    @pytest.mark.parametrize("name", sorted(TALIB_CALLS))
    def test_outputs_equal_talib_called_directly(self, frame, name):
        params, call = TALIB_CALLS[name]
        spec = indicator(name)

        result = compute(name, frame, **params)

        for output, expected in zip(spec.outputs, call(frame), strict=True):
            assert_close(result[output], expected, spec.warmup(**params))


class TestAgainstReferences:
    """The indicators TA-Lib lacks, or defines its own way, against plain pandas/numpy code."""

    def test_cumulative_vwap_is_running_price_volume_over_running_volume(self, frame):
        typical = (frame.high + frame.low + frame.close) / 3.0

        result = compute("vwap", frame)["vwap"]

        assert_close(result, np.cumsum(typical * frame.volume) / np.cumsum(frame.volume), 0)

    def test_rolling_vwap_weights_the_last_period_candles(self, frame):
        data = pd.DataFrame({"tp": (frame.high + frame.low + frame.close) / 3.0, "v": frame.volume})
        rolling = (data.tp * data.v).rolling(48).sum() / data.v.rolling(48).sum()

        result = compute("vwap", frame, period=48)["vwap"]

        assert_close(result, rolling.to_numpy(), 47)

    def test_donchian_is_highest_high_lowest_low_and_midpoint(self, frame):
        upper = pd.Series(frame.high).rolling(20).max().to_numpy()
        lower = pd.Series(frame.low).rolling(20).min().to_numpy()

        result = compute("donchian", frame, period=20)

        assert_close(result["upper"], upper, 19)
        assert_close(result["lower"], lower, 19)
        assert_close(result["middle"], (upper + lower) / 2.0, 19)

    def test_keltner_is_ema_of_typical_price_plus_minus_multiple_of_wilder_atr(self, frame):
        period, atr_period, multiplier = 20, 10, 2.0
        lookback = max(period - 1, atr_period)
        middle = _seeded_ema((frame.high + frame.low + frame.close) / 3.0, period, lookback)
        atr = _wilder_atr(frame, atr_period, lookback)

        result = compute(
            "keltner", frame, period=period, atr_period=atr_period, multiplier=multiplier
        )

        assert_close(result["middle"], middle, lookback)
        assert_close(result["upper"], middle + multiplier * atr, lookback)
        assert_close(result["lower"], middle - multiplier * atr, lookback)

    def test_ichimoku_lines_and_spans_shifted_forward(self, frame):
        high, low = pd.Series(frame.high), pd.Series(frame.low)

        def mid(n: int) -> pd.Series:
            return (high.rolling(n).max() + low.rolling(n).min()) / 2.0

        result = compute("ichimoku", frame, tenkan=9, kijun=26, senkou=52, displacement=26)

        assert_close(result["tenkan"], mid(9).to_numpy(), 8)
        assert_close(result["kijun"], mid(26).to_numpy(), 25)
        assert_close(result["span_a"], ((mid(9) + mid(26)) / 2.0).shift(26).to_numpy(), 51)
        assert_close(result["span_b"], mid(52).shift(26).to_numpy(), 77)


class TestRegistry:
    def test_every_indicator_has_outputs_as_long_as_the_frame(self, frame):
        short = frame.head(500)
        for name, spec in INDICATORS.items():
            result = spec.compute(short)
            assert list(result) == list(spec.outputs)
            assert all(values.shape == (500,) for values in result.values())
            first = spec.warmup()
            assert all(not np.isnan(values[first]) for values in result.values()), name

    @pytest.mark.parametrize(
        ("name", "params"),
        [
            ("nope", {}),
            ("sma", {"period": 1}),
            ("sma", {"period": 2.5}),
            ("sma", {"window": 5}),
            ("sma", {"source": "typical"}),
            ("macd", {"fast": 26, "slow": 12}),
            ("vwap", {"period": 1}),
            ("ichimoku", {"tenkan": 1}),
            ("bbands", {"nbdev_up": "2"}),
        ],
    )
    def test_rejects_unknown_names_and_bad_parameters(self, frame, name, params):
        with pytest.raises(InvalidInput):
            compute(name, frame, **params)

    def test_rejects_frames_with_unequal_columns(self):
        with pytest.raises(InvalidInput):
            CandleFrame(
                open_time_ms=np.arange(3, dtype=np.int64),
                open=np.ones(3),
                high=np.ones(3),
                low=np.ones(2),
                close=np.ones(3),
                volume=np.ones(3),
            )


def _seeded_ema(x: np.ndarray, period: int, first: int) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    value = x[first - period + 1 : first + 1].mean()
    out[first] = value
    k = 2.0 / (period + 1)
    for i in range(first + 1, x.shape[0]):
        value = value + k * (x[i] - value)
        out[i] = value
    return out


def _wilder_atr(frame: CandleFrame, period: int, first: int) -> np.ndarray:
    previous_close = np.roll(frame.close, 1)
    true_range = np.maximum.reduce(
        [
            frame.high - frame.low,
            np.abs(frame.high - previous_close),
            np.abs(frame.low - previous_close),
        ]
    )
    out = np.full(frame.close.shape[0], np.nan)
    value = true_range[first - period + 1 : first + 1].mean()
    out[first] = value
    for i in range(first + 1, true_range.shape[0]):
        value = (value * (period - 1) + true_range[i]) / period
        out[i] = value
    return out
