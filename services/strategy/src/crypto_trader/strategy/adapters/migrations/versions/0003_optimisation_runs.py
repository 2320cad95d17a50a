"""Optimisation runs and their trials.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "strategy_optimisation_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("strategy", sa.String(64), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("objective", sa.String(32), nullable=False),
        sa.Column("search_space", sa.Text(), nullable=False),
        sa.Column("walk_forward", sa.Text(), nullable=True),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("best_params", sa.Text(), nullable=True),
        sa.Column("best_score", sa.Text(), nullable=True),
        sa.Column("windows", sa.Text(), nullable=False),
        sa.Column("out_of_sample_metrics", sa.Text(), nullable=True),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_strategy_optimisation_runs_strategy", "strategy_optimisation_runs", ["strategy"]
    )
    op.create_table(
        "strategy_optimisation_trials",
        sa.Column(
            "run_id",
            sa.String(64),
            sa.ForeignKey("strategy_optimisation_runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("window_index", sa.Integer(), nullable=True),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("metrics", sa.Text(), nullable=False),
        sa.Column("score", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("strategy_optimisation_trials")
    op.drop_index("ix_strategy_optimisation_runs_strategy", "strategy_optimisation_runs")
    op.drop_table("strategy_optimisation_runs")
