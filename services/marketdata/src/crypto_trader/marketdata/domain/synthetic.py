"""A deterministic geometric random walk of candles, for when no real data can be had."""

from __future__ import annotations

import random
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal

from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.market import MarketKey, floor_open_time

_PRICE_STEP = Decimal("0.01")
_VOLUME_STEP = Decimal("0.00001")
_CONTEXT = Context(prec=28)


def _gauss(rng: random.Random) -> Decimal:
    # The random source yields floats; each becomes an exact Decimal at once so the walk itself is
    # computed in decimal arithmetic and is identical on every platform.
    return Decimal(repr(rng.gauss(0.0, 1.0)))


def random_walk_candles(
    key: MarketKey,
    *,
    start_ms: int,
    count: int,
    seed: int,
    start_price: Decimal = Decimal("30000"),
    volatility: Decimal = Decimal("0.002"),
) -> list[Candle]:
    """Generate ``count`` consecutive closed candles flagged synthetic, the same for equal inputs.

    Each close is the previous close times exp(volatility * N(0, 1)); wicks and volumes are random
    too. ``start_ms`` is rounded down to the timeframe.
    """
    rng = random.Random(f"{seed}:{key.exchange}:{key.symbol}:{key.timeframe}")  # noqa: S311 - not for security
    step_ms = key.timeframe_ms
    open_time = floor_open_time(start_ms, step_ms)
    open_price = start_price.quantize(_PRICE_STEP)
    half_volatility = volatility / 2
    candles: list[Candle] = []
    for _ in range(count):
        close = (open_price * _CONTEXT.exp(volatility * _gauss(rng))).quantize(_PRICE_STEP)
        top, bottom = max(open_price, close), min(open_price, close)
        high = (top * (1 + abs(_gauss(rng)) * half_volatility)).quantize(_PRICE_STEP, ROUND_CEILING)
        low = (bottom * (1 - abs(_gauss(rng)) * half_volatility)).quantize(_PRICE_STEP, ROUND_FLOOR)
        volume = (Decimal(repr(rng.lognormvariate(0.0, 1.0))) * 10).quantize(_VOLUME_STEP)
        candles.append(
            Candle(
                exchange=key.exchange,
                symbol=key.symbol,
                timeframe=key.timeframe,
                open_time_ms=open_time,
                open=open_price,
                high=high,
                low=low,
                close=close,
                volume=volume,
                closed=True,
                synthetic=True,
            )
        )
        open_price = close
        open_time += step_ms
    return candles
