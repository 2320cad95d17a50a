"""Initial portfolio tables: journal, postings, positions, prices.

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

_SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "portfolio_journal",
        sa.Column("seq", _SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.String(32), nullable=False, unique=True),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_key", sa.String(255), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("booked_ms", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("source_key", name="uq_portfolio_journal_source_key"),
    )
    op.create_index(
        "ix_portfolio_journal_account_kind", "portfolio_journal", ["account", "kind", "seq"]
    )
    op.create_table(
        "portfolio_postings",
        sa.Column(
            "entry_id",
            sa.String(32),
            sa.ForeignKey("portfolio_journal.entry_id"),
            primary_key=True,
        ),
        sa.Column("line", sa.Integer(), primary_key=True),
        sa.Column("ledger_account", sa.String(128), nullable=False),
        sa.Column("asset", sa.String(32), nullable=False),
        sa.Column("amount", ExactDecimal(), nullable=False),
    )
    op.create_index(
        "ix_portfolio_postings_ledger_account_asset",
        "portfolio_postings",
        ["ledger_account", "asset"],
    )
    op.create_table(
        "portfolio_positions",
        sa.Column("account", sa.String(64), primary_key=True),
        sa.Column("exchange", sa.String(64), primary_key=True),
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("cost_basis", ExactDecimal(), nullable=False),
        sa.Column("realised_pnl", ExactDecimal(), nullable=False),
        sa.Column("fees_paid", ExactDecimal(), nullable=False),
        sa.Column("fills", sa.Integer(), nullable=False),
        sa.Column("last_trade_id", sa.String(128), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_portfolio_positions_market", "portfolio_positions", ["exchange", "symbol"]
    )
    op.create_table(
        "portfolio_prices",
        sa.Column("exchange", sa.String(64), primary_key=True),
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("price", ExactDecimal(), nullable=False),
        sa.Column("as_of_ms", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("portfolio_prices")
    op.drop_index("ix_portfolio_positions_market", table_name="portfolio_positions")
    op.drop_table("portfolio_positions")
    op.drop_index("ix_portfolio_postings_ledger_account_asset", table_name="portfolio_postings")
    op.drop_table("portfolio_postings")
    op.drop_index("ix_portfolio_journal_account_kind", table_name="portfolio_journal")
    op.drop_table("portfolio_journal")
