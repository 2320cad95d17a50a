"""SQLAlchemy tables of the risk service."""

from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table, Text

from crypto_trader.common.database import ExactDecimal

metadata = MetaData()

decisions = Table(
    "risk_decisions",
    metadata,
    # One decision per signal: the primary key is the signal's id.
    Column("signal_id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("account", String(64), nullable=False),
    Column("exchange", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("timeframe", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("reference_price", ExactDecimal(), nullable=False),
    Column("not_before_ms", BigInteger, nullable=False),
    Column("approved", Boolean, nullable=False),
    Column("side", String(8), nullable=True),
    Column("quantity", ExactDecimal(), nullable=True),
    Column("reason", Text, nullable=False),
    Column("intent_id", String(64), nullable=True),
    Column("client_order_id", String(64), nullable=True),
    Column("ts_event", BigInteger, nullable=False),
    Column("ts_init", BigInteger, nullable=False),
    Index("ix_risk_decisions_account_approved", "account", "approved"),
)
