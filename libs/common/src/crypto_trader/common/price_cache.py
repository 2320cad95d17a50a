"""Latest price per market in Redis: marketdata writes it, every service may read it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from redis.asyncio import Redis

from crypto_trader.common.model import decimal_str, to_decimal

# Keep the newer price only: a late or replayed write never moves the cache back in time.
_SET_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], 'ts_ms')
if current and tonumber(current) > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'price', ARGV[1], 'ts_ms', ARGV[2])
return 1
"""


@dataclass(frozen=True, slots=True)
class LastPrice:
    """The latest known price of a market and when it was observed (ms)."""

    price: Decimal
    ts_ms: int


class RedisPriceCache:
    """Latest prices under ``<prefix>price:<exchange>:<symbol>``, as decimal strings."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        self._redis = Redis.from_url(redis_url, decode_responses=True)
        self._prefix = prefix
        self._set_if_newer = self._redis.register_script(_SET_IF_NEWER)

    def key(self, exchange: str, symbol: str) -> str:
        """Return the Redis key of a market's latest price."""
        return f"{self._prefix}price:{exchange}:{symbol}"

    async def set_last(self, exchange: str, symbol: str, price: Decimal, ts_ms: int) -> bool:
        """Store the price unless a newer one is cached; return whether it was stored."""
        stored = await self._set_if_newer(
            keys=[self.key(exchange, symbol)], args=[decimal_str(price), str(ts_ms)]
        )
        return bool(stored)

    async def get_last(self, exchange: str, symbol: str) -> LastPrice | None:
        """Return the latest cached price of a market, or None when none is cached."""
        # decode_responses=True: the hash comes back as str -> str.
        values = cast(dict[str, str], await self._redis.hgetall(self.key(exchange, symbol)))
        if not values:
            return None
        return LastPrice(to_decimal(values["price"], field="price"), int(values["ts_ms"]))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.aclose()
