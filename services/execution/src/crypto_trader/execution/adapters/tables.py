"""The execution service's tables: orders, their fills and the outbox of events to publish."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from crypto_trader.common.database import ExactDecimal

metadata = MetaData()

# SQLite autoincrements only an INTEGER primary key; PostgreSQL gets a 64-bit one.
_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")

execution_orders = Table(
    "execution_orders",
    metadata,
    Column("id", _ROW_ID, primary_key=True, autoincrement=True),
    Column("client_order_id", String(64), nullable=False),
    Column("venue_order_id", String(128), nullable=False),
    Column("intent_id", String(64), nullable=False),
    Column("account", String(64), nullable=False),
    Column("exchange", String(32), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("timeframe", String(8), nullable=False),
    Column("side", String(8), nullable=False),
    Column("order_type", String(16), nullable=False),
    Column("mode", String(8), nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("filled_quantity", ExactDecimal, nullable=False),
    Column("filled_notional", ExactDecimal, nullable=False),
    Column("fees", ExactDecimal, nullable=False),
    Column("not_before_ms", BigInteger, nullable=False),
    Column("status", String(24), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("exit_reason", String(16), nullable=False, server_default=""),
    Column("protected_client_order_id", String(64), nullable=False, server_default=""),
    UniqueConstraint("client_order_id", name="uq_execution_orders_client_order_id"),
    Index("ix_execution_orders_market_status", "exchange", "symbol", "timeframe", "status"),
    Index("ix_execution_orders_account_created", "account", "created_ms"),
)

execution_fills = Table(
    "execution_fills",
    metadata,
    Column("id", _ROW_ID, primary_key=True, autoincrement=True),
    Column("event_id", String(32), nullable=False),
    Column("exchange", String(32), nullable=False),
    Column("account", String(64), nullable=False),
    Column("trade_id", String(128), nullable=False),
    Column("client_order_id", String(64), nullable=False),
    Column("venue_order_id", String(128), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(8), nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("price", ExactDecimal, nullable=False),
    Column("fee", ExactDecimal, nullable=False),
    Column("fee_currency", String(16), nullable=False),
    Column("maker", Boolean, nullable=False),
    Column("mode", String(8), nullable=False),
    Column("ts_event", BigInteger, nullable=False),
    Column("ts_init", BigInteger, nullable=False),
    UniqueConstraint("exchange", "account", "trade_id", name="uq_execution_fills_trade"),
    UniqueConstraint("event_id", name="uq_execution_fills_event_id"),
    Index("ix_execution_fills_client_order_id", "client_order_id"),
)

execution_outbox = Table(
    "execution_outbox",
    metadata,
    Column("id", _ROW_ID, primary_key=True, autoincrement=True),
    Column("event_id", String(32), nullable=False),
    Column("account", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("type_name", String(128), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("sent_ms", BigInteger, nullable=True),
    UniqueConstraint("event_id", name="uq_execution_outbox_event_id"),
    Index("ix_execution_outbox_unsent", "sent_ms", "id"),
)

execution_protections = Table(
    "execution_protections",
    metadata,
    # One per entry order: the protective exits armed when it fills.
    Column("entry_client_order_id", String(64), primary_key=True),
    Column("account", String(64), nullable=False),
    Column("exchange", String(32), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("timeframe", String(8), nullable=False),
    Column("side", String(8), nullable=False),
    Column("reference_price", ExactDecimal, nullable=False),
    Column("stop_loss", ExactDecimal, nullable=True),
    Column("take_profit", ExactDecimal, nullable=True),
    Column("trailing_stop", ExactDecimal, nullable=True),
    Column("status", String(16), nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("extreme", ExactDecimal, nullable=True),
    Column("checked_through_ms", BigInteger, nullable=False),
    Column("exit_reason", String(16), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_execution_protections_market_status", "exchange", "symbol", "timeframe", "status"),
    Index("ix_execution_protections_account_market", "account", "exchange", "symbol"),
)
