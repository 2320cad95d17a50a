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
    # JSON object of parameter name -> value (typed since revision 0002; strings before).
    Column("parameters", Text, nullable=False),
    Column("last_candle_open_time_ms", BigInteger, nullable=True),
    Column("candles_seen", BigInteger, nullable=False, default=0),
    Column("signals_emitted", BigInteger, nullable=False, default=0),
    # JSON: {"strategy": event-path snapshot or null, "budget": {"day": d, "entries": n}}.
    Column("state", Text, nullable=True),
    # JSON: Schedule.as_dict() of the configuration that registered or last ran the instance.
    Column("schedule", Text, nullable=True),
)
