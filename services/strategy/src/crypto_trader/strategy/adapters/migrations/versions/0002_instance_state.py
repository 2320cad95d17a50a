"""Instance state (strategy snapshot, entry budget) and schedule as JSON.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("strategy_instances") as batch:
        # {"strategy": <event-path snapshot>, "budget": {"day": d, "entries": n}}
        batch.add_column(sa.Column("state", sa.Text(), nullable=True))
        batch.add_column(sa.Column("schedule", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("strategy_instances") as batch:
        batch.drop_column("schedule")
        batch.drop_column("state")
