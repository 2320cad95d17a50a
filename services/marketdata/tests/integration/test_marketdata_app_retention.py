"""The service applies the retention policy in the background, starting right at start."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from crypto_trader.common.embedded import free_port
from crypto_trader.common.settings import InfraSettings
from crypto_trader.marketdata import app
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.importer import migrate_store
from crypto_trader.marketdata.settings import MarketdataSettings
from crypto_trader.marketdata.testing import BTC_5M, make_candles

pytestmark = pytest.mark.integration

ETH_1M = MarketKey("binance", "ETH/USDT", "1m")


async def test_retention_deletes_expired_candles_of_other_markets_but_not_the_replayed_one(
    tmp_path: Path, nats_url: str, run_root: str
) -> None:
    url = f"sqlite:///{tmp_path / 'marketdata.db'}"
    store = migrate_store(url)
    store.add_candles(make_candles(BTC_5M, count=20))  # 2020: long expired, but replayed
    store.add_candles(make_candles(ETH_1M, count=20))
    settings = MarketdataSettings(
        infra=InfraSettings(
            nats_url=nats_url, database_url=url, subject_root=run_root, data_dir=tmp_path
        ),
        grpc_port=free_port(),
        shutdown_grace_seconds=0.2,
        source="store",
        replay_speed=1e6,
        retention_days={"1m": 1, "5m": 1},
    )
    stop = asyncio.Event()
    task = asyncio.create_task(app.run(settings, stop))
    try:
        for _ in range(500):
            if not store.has_candles(ETH_1M):
                break
            await asyncio.sleep(0.02)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    eth_left, btc_left = store.count_candles(ETH_1M), store.count_candles(BTC_5M)
    store.dispose()

    assert (eth_left, btc_left) == (0, 20)
