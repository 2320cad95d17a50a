"""Orders, fills and the outbox of the execution service.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from crypto_trader.common.database import ExactDecimal

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "execution_orders",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("venue_order_id", sa.String(128), nullable=False),
        sa.Column("intent_id", sa.String(64), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("order_type", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("filled_quantity", ExactDecimal(), nullable=False),
        sa.Column("filled_notional", ExactDecimal(), nullable=False),
        sa.Column("fees", ExactDecimal(), nullable=False),
        sa.Column("not_before_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("client_order_id", name="uq_execution_orders_client_order_id"),
    )
    op.create_index(
        "ix_execution_orders_market_status",
        "execution_orders",
        ["exchange", "symbol", "timeframe", "status"],
    )
    op.create_index(
        "ix_execution_orders_account_created", "execution_orders", ["account", "created_ms"]
    )

    op.create_table(
        "execution_fills",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("trade_id", sa.String(128), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("venue_order_id", sa.String(128), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("price", ExactDecimal(), nullable=False),
        sa.Column("fee", ExactDecimal(), nullable=False),
        sa.Column("fee_currency", sa.String(16), nullable=False),
        sa.Column("maker", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(8), nullable=False),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("ts_init", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("exchange", "account", "trade_id", name="uq_execution_fills_trade"),
        sa.UniqueConstraint("event_id", name="uq_execution_fills_event_id"),
    )
    op.create_index(
        "ix_execution_fills_client_order_id", "execution_fills", ["client_order_id"]
    )

    op.create_table(
        "execution_outbox",
        sa.Column("id", _ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(32), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("type_name", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("sent_ms", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("event_id", name="uq_execution_outbox_event_id"),
    )
    op.create_index("ix_execution_outbox_unsent", "execution_outbox", ["sent_ms", "id"])


def downgrade() -> None:
    op.drop_table("execution_outbox")
    op.drop_table("execution_fills")
    op.drop_table("execution_orders")
