"""Float copies of candle prices for bulk reads, and ranges an exchange has no candles for.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PRICES = ("open", "high", "low", "close", "volume")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # One ALTER rewrites the table once and computes the copies of every stored candle;
        # five add_column calls would rewrite it five times.
        op.execute(
            "ALTER TABLE marketdata_candles "
            + ", ".join(
                f"ADD COLUMN {name}_float DOUBLE PRECISION "
                f"GENERATED ALWAYS AS (CAST({name} AS DOUBLE PRECISION)) STORED"
                for name in _PRICES
            )
        )
    else:
        # SQLite adds only virtual generated columns to an existing table: computed on read.
        for name in _PRICES:
            op.add_column(
                "marketdata_candles",
                sa.Column(
                    f"{name}_float",
                    sa.Double(),
                    sa.Computed(f"CAST({name} AS DOUBLE PRECISION)", persisted=False),
                ),
            )
    op.create_table(
        "marketdata_exchange_outages",
        sa.Column("exchange", sa.String(32), nullable=False),
        sa.Column("symbol", sa.String(64), nullable=False),
        sa.Column("timeframe", sa.String(8), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("exchange", "symbol", "timeframe", "start_ms"),
    )


def downgrade() -> None:
    op.drop_table("marketdata_exchange_outages")
    for name in reversed(_PRICES):
        op.drop_column("marketdata_candles", f"{name}_float")
