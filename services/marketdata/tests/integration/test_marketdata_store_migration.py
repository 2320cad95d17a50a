"""Migration 0002 on SQLite and PostgreSQL: candles stored before it get their float copies."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
from alembic import command
from alembic.config import Config

from crypto_trader.common.database import make_engine
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.adapters.candle_bulk import sqlite_ingest
from crypto_trader.marketdata.importer import MIGRATIONS_DIR, VERSION_TABLE, migrate_store
from crypto_trader.marketdata.testing import BTC_5M, make_candles

pytestmark = pytest.mark.integration

# Prices an exact-decimal store must keep to the last digit, and floats only approximate.
ODD = Decimal("0.000000012345678901")


def _migrate_to(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            config.attributes["version_table"] = VERSION_TABLE
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _insert_at_0001(url: str, candles: list[Candle]) -> None:
    # Row by row through the driver: the store's own bulk path expects the newest schema.
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            driver = connection.connection.driver_connection
            if connection.dialect.name == "sqlite":
                sqlite_ingest(driver, candles)
                return
            with driver.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO marketdata_candles (exchange, symbol, timeframe, open_time_ms, "
                    "open, high, low, close, volume, synthetic) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (c.exchange, c.symbol, c.timeframe, c.open_time_ms, c.open, c.high,
                         c.low, c.close, c.volume, c.synthetic)
                        for c in candles
                    ],
                )  # fmt: skip
    finally:
        engine.dispose()


def test_candles_stored_before_0002_read_back_as_floats_and_stay_exact(database_url: str) -> None:
    old = make_candles(count=50)
    old[7] = replace(old[7], low=ODD, volume=Decimal("123456789.123456789"))
    _migrate_to(database_url, "0001")
    _insert_at_0001(database_url, old)

    store = migrate_store(database_url)
    try:
        new = make_candles(count=10, start_ms=old[-1].open_time_ms + BTC_5M.timeframe_ms)
        store.add_candles(new)
        arrays = store.read_arrays(BTC_5M)
        exact = store.read_candles(BTC_5M)
    finally:
        store.dispose()

    candles = old + new
    assert exact == candles
    assert arrays["open_time"].tolist() == [c.open_time_ms for c in candles]
    for name in ("open", "high", "low", "close", "volume"):
        expected = np.array([float(getattr(c, name)) for c in candles])
        np.testing.assert_allclose(arrays[name], expected, rtol=1e-15, atol=0)
    assert exact[7].low == ODD
