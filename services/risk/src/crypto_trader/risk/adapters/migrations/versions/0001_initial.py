"""Risk decisions, one per signal.

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


def upgrade() -> None:
    op.create_table(
        "risk_decisions",
        sa.Column("signal_id", sa.String(64), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("exchange", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("timeframe", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reference_price", ExactDecimal(), nullable=False),
        sa.Column("not_before_ms", sa.BigInteger(), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("side", sa.String(8), nullable=True),
        sa.Column("quantity", ExactDecimal(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("intent_id", sa.String(64), nullable=True),
        sa.Column("client_order_id", sa.String(64), nullable=True),
        sa.Column("ts_event", sa.BigInteger(), nullable=False),
        sa.Column("ts_init", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_risk_decisions_account_approved", "risk_decisions", ["account", "approved"])


def downgrade() -> None:
    op.drop_index("ix_risk_decisions_account_approved", table_name="risk_decisions")
    op.drop_table("risk_decisions")
