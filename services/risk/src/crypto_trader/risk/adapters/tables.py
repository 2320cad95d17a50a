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
    # Exit hints of an approved entry (prices), published again unchanged with it.
    Column("stop_loss", ExactDecimal(), nullable=True),
    Column("take_profit", ExactDecimal(), nullable=True),
    Column("trailing_stop", ExactDecimal(), nullable=True),
    Index("ix_risk_decisions_account_approved", "account", "approved"),
    Index("ix_risk_decisions_client_order_id", "client_order_id"),
)

exposure_changes = Table(
    "risk_exposure_changes",
    metadata,
    # One correction per order: a redelivered order update finds its row and changes nothing.
    Column("client_order_id", String(64), primary_key=True),
    Column("account", String(64), nullable=False),
    Column("exchange", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("quantity", ExactDecimal(), nullable=False),
    Column("reason", Text, nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Index("ix_risk_exposure_changes_market", "account", "exchange", "symbol"),
)
