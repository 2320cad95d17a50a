"""Alembic environment of the portfolio service (run through common.database.migrate)."""

from alembic import context

from crypto_trader.common.database import run_alembic_env
from crypto_trader.portfolio.adapters.tables import metadata

run_alembic_env(context, metadata)
