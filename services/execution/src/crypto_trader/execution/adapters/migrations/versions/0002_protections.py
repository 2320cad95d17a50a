"""Protective exits: the exit reason on orders, and each entry's protection.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from crypto_trader.common.database import ExactDecimal

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "execution_orders",
        sa.Column("exit_reason", sa.String(16), nullable=False, server_default=""),
    )
    op.add_column(
        "execution_orders",
        sa.Column("protected_client_order_id", sa.String(64), nullable=False, server_default=""),
    )
    op.create_table(
        "execution_protections",
        sa.Column("entry_client_order_id", sa.String(64), primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("reference_price", ExactDecimal(), nullable=False),
        sa.Column("stop_loss", ExactDecimal(), nullable=True),
        sa.Column("take_profit", ExactDecimal(), nullable=True),
        sa.Column("trailing_stop", ExactDecimal(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("extreme", ExactDecimal(), nullable=True),
        sa.Column("checked_through_ms", sa.BigInteger(), nullable=False),
        sa.Column("exit_reason", sa.String(16), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_execution_protections_market_status",
        "execution_protections",
        ["exchange", "symbol", "timeframe", "status"],
    )
    op.create_index(
        "ix_execution_protections_account_market",
        "execution_protections",
        ["account", "exchange", "symbol"],
    )


def downgrade() -> None:
    op.drop_table("execution_protections")
    with op.batch_alter_table("execution_orders") as batch:
        batch.drop_column("protected_client_order_id")
        batch.drop_column("exit_reason")
