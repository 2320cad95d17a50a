"""The service's tables: stored candles and replay cursors."""

from sqlalchemy import BigInteger, Boolean, Column, MetaData, String, Table, false

from crypto_trader.common.database import ExactDecimal

metadata = MetaData()

candles = Table(
    "marketdata_candles",
    metadata,
    Column("exchange", String(32), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("timeframe", String(8), primary_key=True),
    Column("open_time_ms", BigInteger, primary_key=True),
    Column("open", ExactDecimal(), nullable=False),
    Column("high", ExactDecimal(), nullable=False),
    Column("low", ExactDecimal(), nullable=False),
    Column("close", ExactDecimal(), nullable=False),
    Column("volume", ExactDecimal(), nullable=False),
    Column("synthetic", Boolean, nullable=False, server_default=false()),
)

replay_cursors = Table(
    "marketdata_replay_cursors",
    metadata,
    Column("exchange", String(32), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("timeframe", String(8), primary_key=True),
    Column("last_published_open_time_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)
