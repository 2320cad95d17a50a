"""SQLAlchemy tables of the portfolio: journal, postings, positions and last prices."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from crypto_trader.common.database import ExactDecimal

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY.
_SEQUENCE = BigInteger().with_variant(Integer(), "sqlite")

journal = Table(
    "portfolio_journal",
    metadata,
    Column("seq", _SEQUENCE, primary_key=True, autoincrement=True),
    Column("entry_id", String(32), nullable=False, unique=True),
    Column("account", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    # The once-only key: fill:<exchange>:<account>:<trade_id> or deposit:<account>:initial.
    Column("source_key", String(255), nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Column("booked_ms", BigInteger, nullable=False),
    UniqueConstraint("source_key", name="uq_portfolio_journal_source_key"),
    Index("ix_portfolio_journal_account_kind", "account", "kind", "seq"),
)

postings = Table(
    "portfolio_postings",
    metadata,
    Column("entry_id", String(32), ForeignKey("portfolio_journal.entry_id"), primary_key=True),
    Column("line", Integer, primary_key=True),
    Column("ledger_account", String(128), nullable=False),
    Column("asset", String(32), nullable=False),
    Column("amount", ExactDecimal(), nullable=False),
    Index("ix_portfolio_postings_ledger_account_asset", "ledger_account", "asset"),
)

positions = Table(
    "portfolio_positions",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("exchange", String(64), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("quantity", ExactDecimal(), nullable=False),
    Column("cost_basis", ExactDecimal(), nullable=False),
    Column("realised_pnl", ExactDecimal(), nullable=False),
    Column("fees_paid", ExactDecimal(), nullable=False),
    Column("fills", Integer, nullable=False),
    Column("last_trade_id", String(128), nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Index("ix_portfolio_positions_market", "exchange", "symbol"),
)

prices = Table(
    "portfolio_prices",
    metadata,
    Column("exchange", String(64), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("price", ExactDecimal(), nullable=False),
    Column("as_of_ms", BigInteger, nullable=False),
    Column("source", String(16), nullable=False),
)
