"""The service's tables: candles, trades, replay cursors and exchange outages."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    Double,
    Index,
    MetaData,
    String,
    Table,
    false,
)

from crypto_trader.common.database import ExactDecimal

metadata = MetaData()

PRICE_COLUMNS = ("open", "high", "low", "close", "volume")


def _float_copy(name: str) -> Column[float]:
    # A float8 copy of an exact column, kept by the database, so bulk numpy reads need no cast:
    # stored on PostgreSQL, virtual on SQLite (which cannot add a stored column to a table).
    return Column(
        f"{name}_float", Double(), Computed(f"CAST({name} AS DOUBLE PRECISION)", persisted=True)
    )


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
    *(_float_copy(name) for name in PRICE_COLUMNS),
)

# The columns a Candle is made of (the float copies are for analytics only).
CANDLE_COLUMNS = tuple(
    candles.c[name]
    for name in ("exchange", "symbol", "timeframe", "open_time_ms", *PRICE_COLUMNS, "synthetic")
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

# Open-time ranges [start_ms, end_ms) an exchange was asked for and had no candles in (its own
# outages): remembered so that gap repair reports them instead of asking again on every run.
exchange_outages = Table(
    "marketdata_exchange_outages",
    metadata,
    Column("exchange", String(32), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("timeframe", String(8), primary_key=True),
    Column("start_ms", BigInteger, primary_key=True),
    Column("end_ms", BigInteger, nullable=False),
    Column("recorded_at_ms", BigInteger, nullable=False),
)

trades = Table(
    "marketdata_trades",
    metadata,
    Column("exchange", String(32), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("trade_id", String(64), primary_key=True),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("side", String(4), nullable=False),
    Column("price", ExactDecimal(), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Index("ix_marketdata_trades_time", "exchange", "symbol", "timestamp_ms"),
)

trade_cursors = Table(
    "marketdata_trade_cursors",
    metadata,
    Column("exchange", String(32), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("last_timestamp_ms", BigInteger, nullable=False),
    Column("last_trade_id", String(64), nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)
