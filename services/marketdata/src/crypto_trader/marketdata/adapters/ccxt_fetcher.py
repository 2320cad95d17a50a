"""Recent closed candles from an exchange's public REST API through ccxt (no API keys)."""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import InvalidInput, RetryableError
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.market import MarketKey

log = logging.getLogger(__name__)


def _decimal(value: Any) -> Decimal:
    # ccxt hands prices over as floats; their shortest repr is the exchange's decimal string.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))


def closed_candles(key: MarketKey, rows: list[list[Any]], *, now_ms: int) -> list[Candle]:
    """Turn ccxt OHLCV rows into closed candles, oldest first, dropping the still-forming one.

    Rows that do not make valid candles are skipped (and logged): an exchange glitch must not stop
    the replay of the rest.
    """
    step = key.timeframe_ms
    result: list[Candle] = []
    for row in sorted(rows, key=lambda item: item[0]):
        open_time = int(row[0])
        if open_time + step > now_ms:
            continue
        try:
            o, h, low, c, v = (_decimal(value) for value in row[1:6])
            result.append(
                Candle(key.exchange, key.symbol, key.timeframe, open_time, o, h, low, c, v)
            )
        except (InvalidInput, ArithmeticError, TypeError, ValueError) as error:
            log.warning("skipped exchange candle %s of %s: %s", open_time, key, error)
    return result


class CcxtOhlcvFetcher:
    """Fetch OHLCV over ccxt's async REST client, bounded by a timeout, rate-limited."""

    def __init__(self, *, timeout_seconds: float, clock: Clock) -> None:
        self._timeout = timeout_seconds
        self._clock = clock

    async def fetch_recent(self, key: MarketKey, *, limit: int) -> list[Candle]:
        """Return up to ``limit`` recent closed candles, oldest first.

        Raises
        ------
        RetryableError
            When the exchange is unknown to ccxt, unreachable, too slow or refuses the request.
        """
        # Imported here: ccxt takes a second to import and most runs replay files or the store.
        import ccxt
        import ccxt.async_support as ccxt_async

        exchange_class = getattr(ccxt_async, key.exchange, None)
        if exchange_class is None:
            raise RetryableError(f"ccxt does not know the exchange {key.exchange!r}")
        exchange = exchange_class({"enableRateLimit": True, "timeout": int(self._timeout * 1000)})
        try:
            # One more than asked: the newest row is usually the forming candle, dropped below.
            rows = await asyncio.wait_for(
                exchange.fetch_ohlcv(key.symbol, key.timeframe, limit=limit + 1),
                timeout=self._timeout,
            )
        except (TimeoutError, ccxt.BaseError, OSError) as error:
            raise RetryableError(f"{key.exchange} OHLCV fetch failed: {error}") from None
        finally:
            await exchange.close()
        return closed_candles(key, rows, now_ms=self._clock.now_ms())[-limit:]
