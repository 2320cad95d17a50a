"""Failover end to end: two stand-in exchanges serve one series, the first fails mid-stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.adapters.exchanges import CcxtExchange
from crypto_trader.marketdata.adapters.exchanges.testing import (
    SERIES_START_MS,
    StandInExchange,
    series_row,
)
from crypto_trader.marketdata.domain.failover import ProviderSwitch
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.feed import build_feed

pytestmark = pytest.mark.integration

MINUTE = 60_000
KEY = MarketKey("binance", "BTC/USDT", "1m")


def _switches_counted(source: str, target: str) -> float:
    value = REGISTRY.get_sample_value(
        "ct_marketdata_provider_switches_total",
        {"service": "marketdata", "from_provider": source, "to_provider": target,
         "reason": "failure" if target == "okx" else "recovered"},
    )  # fmt: skip
    return value or 0.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SERIES_START_MS + 5 * MINUTE + 10_000)


@pytest.fixture
async def stand_ins(clock: FakeClock) -> AsyncIterator[dict[str, StandInExchange]]:
    servers = {
        name: await StandInExchange(name, clock.now_ms).start() for name in ("binance", "okx")
    }
    yield servers
    for server in servers.values():
        await server.stop()


async def test_feed_switches_to_the_backup_and_back_without_gap_or_duplicate(
    clock: FakeClock, stand_ins: dict[str, StandInExchange]
) -> None:
    sources = {
        name: CcxtExchange(
            name, clock=clock, api_base_url=server.url, rate_limit_ms=1, timeout_seconds=2
        )
        for name, server in stand_ins.items()
    }
    emitted: list[Candle] = []
    reported: list[ProviderSwitch] = []

    async def sink(candle: Candle) -> None:
        emitted.append(candle)

    feed = build_feed(
        KEY,
        sources,
        sink,
        clock=clock,
        last_open_time_ms=SERIES_START_MS + 1 * MINUTE,  # the store holds candles 0 and 1
        base_backoff_ms=2 * MINUTE,
        max_backoff_ms=4 * MINUTE,
        probe_interval_ms=MINUTE,
        on_switch=reported.append,
    )
    failures_before = _switches_counted("binance", "okx")
    recoveries_before = _switches_counted("okx", "binance")
    try:
        await feed.poll()
        for minute in range(12):
            if minute == 2:
                stand_ins["binance"].fail_status = 503
            if minute == 7:
                stand_ins["binance"].fail_status = None
            # Polls land at varying points of the candle, sometimes several per candle.
            clock.advance(MINUTE // 2)
            await feed.poll()
            clock.advance(MINUTE // 2)
            await feed.poll()
    finally:
        for source in sources.values():
            await source.close()

    last_closed = (clock.now_ms() - SERIES_START_MS) // MINUTE - 1
    assert [(c.open_time_ms - SERIES_START_MS) // MINUTE for c in emitted] == list(
        range(2, last_closed + 1)
    )
    for candle in emitted:
        assert candle.exchange == "binance" and candle.closed
        _, o, _, _, c, _ = series_row(candle.open_time_ms, "1m")
        assert (str(candle.open), str(candle.close)) == (o, c)
    assert [(s.from_provider, s.to_provider) for s in reported] == [
        ("binance", "okx"),
        ("okx", "binance"),
    ]
    assert reported == feed.switches
    assert _switches_counted("binance", "okx") == failures_before + 1
    assert _switches_counted("okx", "binance") == recoveries_before + 1
    # The backup really served while the preferred one was down.
    assert any("/api/v5/market/" in path for path in stand_ins["okx"].requests)
