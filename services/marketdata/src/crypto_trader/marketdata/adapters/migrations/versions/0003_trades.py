"""Stored public trades and the replay's trade cursors.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from crypto_trader.common.database import ExactDecimal

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "marketdata_trades",
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("trade_id", sa.String(64), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("price", ExactDecimal(), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("exchange", "symbol", "trade_id"),
    )
    op.create_index(
        "ix_marketdata_trades_time", "marketdata_trades", ["exchange", "symbol", "timestamp_ms"]
    )
    op.create_table(
        "marketdata_trade_cursors",
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("last_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_trade_id", sa.String(64), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("exchange", "symbol"),
    )


def downgrade() -> None:
    op.drop_table("marketdata_trade_cursors")
    op.drop_index("ix_marketdata_trades_time", table_name="marketdata_trades")
    op.drop_table("marketdata_trades")
