"""Strategy instances and their progress.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategy_instances",
        sa.Column("instance_id", sa.String(64), primary_key=True),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("exchange", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("timeframe", sa.String(16), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("last_candle_open_time_ms", sa.BigInteger(), nullable=True),
        sa.Column("candles_seen", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("signals_emitted", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("strategy_instances")
