"""SQLAlchemy tables of the strategy service."""

from sqlalchemy import BigInteger, Column, MetaData, String, Table, Text

metadata = MetaData()

instances = Table(
    "strategy_instances",
    metadata,
    Column("instance_id", String(64), primary_key=True),
    Column("strategy", String(64), nullable=False),
    Column("account", String(64), nullable=False),
    Column("exchange", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("timeframe", String(16), nullable=False),
    # JSON object of parameter name -> string value.
    Column("parameters", Text, nullable=False),
    Column("last_candle_open_time_ms", BigInteger, nullable=True),
    Column("candles_seen", BigInteger, nullable=False, default=0),
    Column("signals_emitted", BigInteger, nullable=False, default=0),
)
