"""Exit hints on decisions, and the exposure corrections of terminal orders.

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
    for name in ("stop_loss", "take_profit", "trailing_stop"):
        op.add_column("risk_decisions", sa.Column(name, ExactDecimal(), nullable=True))
    op.create_index("ix_risk_decisions_client_order_id", "risk_decisions", ["client_order_id"])
    op.create_table(
        "risk_exposure_changes",
        sa.Column("client_order_id", sa.String(64), primary_key=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("exchange", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_risk_exposure_changes_market",
        "risk_exposure_changes",
        ["account", "exchange", "symbol"],
    )


def downgrade() -> None:
    op.drop_index("ix_risk_exposure_changes_market", table_name="risk_exposure_changes")
    op.drop_table("risk_exposure_changes")
    op.drop_index("ix_risk_decisions_client_order_id", table_name="risk_decisions")
    with op.batch_alter_table("risk_decisions") as batch:
        batch.drop_column("trailing_stop")
        batch.drop_column("take_profit")
        batch.drop_column("stop_loss")
