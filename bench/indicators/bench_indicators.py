"""Benchmark the indicator library: batch throughput against TA-Lib called directly, stream cost.

Run: ``.venv/bin/python bench/indicators/bench_indicators.py [--size 1000000] [--updates 20000]``.
Batch: each indicator with its default parameters through ``compute`` and through the equivalent
direct TA-Lib call(s) on the same arrays (best of ``--repeat``; goal: ratio <= 1.1). Ichimoku and
the rolling VWAP have no TA-Lib function: their reference is built from TA-Lib's MAX/MIN/SUM.
Stream: microseconds per ``update`` of one closed candle after warm-up (goal < 5 us) and per
``peek``, beside TA-Lib's own ``talib.stream`` handle where one exists (it cannot be snapshotted).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import talib
from talib import stream as talib_stream

from crypto_trader.strategy.domain.indicators import INDICATORS, CandleFrame, compute, open_stream


def random_walk(size: int, seed: int = 7) -> CandleFrame:
    """Build a reproducible OHLCV random walk around 30,000."""
    rng = np.random.default_rng(seed)
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, size)))
    open_ = np.concatenate(([30_000.0], close[:-1]))
    spread = np.abs(rng.normal(0.0, 0.001, (2, size))) * close
    return CandleFrame(
        open_time_ms=np.arange(size, dtype=np.int64) * 60_000,
        open=open_,
        high=np.maximum(open_, close) + spread[0],
        low=np.minimum(open_, close) - spread[1],
        close=close,
        volume=rng.lognormal(3.0, 1.0, size),
    )


def _ichimoku_talib(f: CandleFrame) -> Any:
    def mid(n: int) -> Any:
        return (talib.MAX(f.high, n) + talib.MIN(f.low, n)) / 2.0

    tenkan, kijun = mid(9), mid(26)
    span_a = np.full(len(f), np.nan)
    span_b = np.full(len(f), np.nan)
    span_a[26:] = ((tenkan + kijun) / 2.0)[:-26]
    span_b[26:] = mid(52)[:-26]
    return tenkan, kijun, span_a, span_b


def _rolling_vwap_talib(f: CandleFrame) -> Any:
    typical = talib.TYPPRICE(f.high, f.low, f.close)
    return talib.SUM(typical * f.volume, 288) / talib.SUM(f.volume, 288)


# name, parameters, the same computation with TA-Lib called directly
BATCH_CASES: list[tuple[str, dict[str, Any], Callable[[CandleFrame], Any]]] = [
    ("sma", {}, lambda f: talib.SMA(f.close, 30)),
    ("ema", {}, lambda f: talib.EMA(f.close, 30)),
    ("wma", {}, lambda f: talib.WMA(f.close, 30)),
    ("rsi", {}, lambda f: talib.RSI(f.close, 14)),
    ("macd", {}, lambda f: talib.MACD(f.close, 12, 26, 9)),
    ("bbands", {}, lambda f: talib.BBANDS(f.close, 20, 2.0, 2.0, 0)),
    ("atr", {}, lambda f: talib.ATR(f.high, f.low, f.close, 14)),
    ("adx", {}, lambda f: talib.ADX(f.high, f.low, f.close, 14)),
    ("stoch", {}, lambda f: talib.STOCH(f.high, f.low, f.close, 5, 3, 0, 3, 0)),
    ("obv", {}, lambda f: talib.OBV(f.close, f.volume)),
    ("vwap", {}, lambda f: talib.VWAP(f.high, f.low, f.close, f.volume)),
    ("vwap", {"period": 288}, _rolling_vwap_talib),
    ("donchian", {}, lambda f: talib.DONCHIAN(f.high, f.low, 20)),
    ("keltner", {}, lambda f: talib.KC(f.high, f.low, f.close, 20, 10, 2.0)),
    ("ichimoku", {}, _ichimoku_talib),
]

# TA-Lib's own stream handle for the same indicator, opened on history arrays.
TALIB_STREAMS: dict[str, tuple[Callable[..., Any], Callable[[CandleFrame], tuple[Any, ...]]]] = {
    "sma": (lambda f: talib_stream.SMA(f.close, 30), lambda b: (b[3],)),
    "ema": (lambda f: talib_stream.EMA(f.close, 30), lambda b: (b[3],)),
    "wma": (lambda f: talib_stream.WMA(f.close, 30), lambda b: (b[3],)),
    "rsi": (lambda f: talib_stream.RSI(f.close, 14), lambda b: (b[3],)),
    "macd": (lambda f: talib_stream.MACD(f.close, 12, 26, 9), lambda b: (b[3],)),
    "bbands": (lambda f: talib_stream.BBANDS(f.close, 20, 2.0, 2.0, 0), lambda b: (b[3],)),
    "atr": (lambda f: talib_stream.ATR(f.high, f.low, f.close, 14), lambda b: b[1:4]),
    "adx": (lambda f: talib_stream.ADX(f.high, f.low, f.close, 14), lambda b: b[1:4]),
    "stoch": (
        lambda f: talib_stream.STOCH(f.high, f.low, f.close, 5, 3, 0, 3, 0),
        lambda b: b[1:4],
    ),
    "obv": (lambda f: talib_stream.OBV(f.close, f.volume), lambda b: (b[3], b[4])),
    "vwap": (lambda f: talib_stream.VWAP(f.high, f.low, f.close, f.volume), lambda b: b[1:5]),
    "donchian": (lambda f: talib_stream.DONCHIAN(f.high, f.low, 20), lambda b: b[1:3]),
    "keltner": (lambda f: talib_stream.KC(f.high, f.low, f.close, 20, 10, 2.0), lambda b: b[1:4]),
}


def best_of(repeat: int, call: Callable[[], object]) -> float:
    """Return the fastest of ``repeat`` timed calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def bench_batch(frame: CandleFrame, repeat: int) -> list[tuple[str, float, float]]:
    """Time each indicator through the API and through TA-Lib directly, interleaved."""
    rows = []
    for name, params, direct in BATCH_CASES:
        label = name + "".join(f" {k}={v}" for k, v in params.items())
        api = direct_time = float("inf")
        for _ in range(repeat):
            api = min(api, best_of(1, lambda n=name, p=params: compute(n, frame, **p)))
            direct_time = min(direct_time, best_of(1, lambda d=direct: d(frame)))
        rows.append((label, api, direct_time))
    return rows


def bench_stream(frame: CandleFrame, updates: int) -> list[tuple[str, float, float, float]]:
    """Time one update and one peek per indicator after warm-up, and TA-Lib's stream update."""
    bars = list(
        zip(
            *(c.tolist() for c in (frame.open, frame.high, frame.low, frame.close, frame.volume)),
            strict=True,
        )
    )
    warm, timed = bars[:1000], bars[1000 : 1000 + updates]
    rows = []
    for name in INDICATORS:
        stream = open_stream(name)
        for bar in warm:
            stream.update(*bar)
        update = stream.update
        start = time.perf_counter()
        for bar in timed:
            update(*bar)
        per_update = (time.perf_counter() - start) / len(timed)
        peeks = timed[: max(1, len(timed) // 10)]
        start = time.perf_counter()
        for bar in peeks:
            stream.peek(*bar)
        per_peek = (time.perf_counter() - start) / len(peeks)
        per_talib = float("nan")
        if name in TALIB_STREAMS:
            opener, inputs = TALIB_STREAMS[name]
            handle = opener(frame.head(1000))
            talib_update = handle.update
            args = [inputs(bar) for bar in timed]
            start = time.perf_counter()
            for arg in args:
                talib_update(*arg)
            per_talib = (time.perf_counter() - start) / len(timed)
        rows.append((name, per_update, per_peek, per_talib))
    return rows


def main(argv: Sequence[str] | None = None) -> dict[str, list[Any]]:
    """Run both benchmarks, print the tables and return their rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="values per batch series")
    parser.add_argument("--updates", type=int, default=20_000, help="stream updates timed")
    parser.add_argument("--repeat", type=int, default=7, help="batch runs (best is kept)")
    args = parser.parse_args(argv)
    frame = random_walk(max(args.size, args.updates + 1000))

    batch_rows = bench_batch(frame.head(args.size), args.repeat)
    print(f"\nBatch, {args.size:,} candles (best of {args.repeat})")
    print(f"{'indicator':<22}{'API ms':>10}{'TA-Lib ms':>11}{'ratio':>8}")
    for label, api, direct in batch_rows:
        print(f"{label:<22}{api * 1e3:>10.3f}{direct * 1e3:>11.3f}{api / direct:>8.2f}")

    stream_rows = bench_stream(frame, args.updates)
    print(f"\nStream, {args.updates:,} updates after 1,000 warm-up candles (us per call)")
    print(f"{'indicator':<22}{'update':>10}{'peek':>10}{'TA-Lib update':>15}")
    for name, per_update, per_peek, per_talib in stream_rows:
        talib_cell = "-" if per_talib != per_talib else f"{per_talib * 1e6:.2f}"
        print(f"{name:<22}{per_update * 1e6:>10.2f}{per_peek * 1e6:>10.2f}{talib_cell:>15}")
    return {"batch": batch_rows, "stream": stream_rows}


if __name__ == "__main__":
    main()
