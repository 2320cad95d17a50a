"""The latest price per market in the real Redis: exact decimals, never moved back in time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from crypto_trader.common.price_cache import LastPrice, RedisPriceCache

pytestmark = pytest.mark.integration


@pytest.fixture
async def cache(redis_url: str, run_root: str) -> AsyncIterator[RedisPriceCache]:
    price_cache = RedisPriceCache(redis_url, f"{run_root}:")
    yield price_cache
    await price_cache.close()


async def test_round_trips_an_exact_decimal_price(cache: RedisPriceCache) -> None:
    assert await cache.set_last("binance", "BTC/USDT", Decimal("64123.45000001"), 1_000)

    assert await cache.get_last("binance", "BTC/USDT") == LastPrice(
        Decimal("64123.45000001"), 1_000
    )


async def test_an_unknown_market_has_no_price(cache: RedisPriceCache) -> None:
    assert await cache.get_last("binance", "ETH/USDT") is None


async def test_an_older_price_never_replaces_a_newer_one(cache: RedisPriceCache) -> None:
    await cache.set_last("binance", "BTC/USDT", Decimal("2"), 2_000)

    assert not await cache.set_last("binance", "BTC/USDT", Decimal("1"), 1_000)
    assert await cache.get_last("binance", "BTC/USDT") == LastPrice(Decimal("2"), 2_000)


async def test_keys_live_under_the_configured_prefix(cache: RedisPriceCache, run_root: str) -> None:
    assert cache.key("binance", "BTC/USDT") == f"{run_root}:price:binance:BTC/USDT"
