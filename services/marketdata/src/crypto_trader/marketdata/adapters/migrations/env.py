"""Alembic environment of the market data service (runs on the connection ``migrate`` gives)."""

from alembic import context

from crypto_trader.common.database import run_alembic_env
from crypto_trader.marketdata.adapters.tables import metadata

run_alembic_env(context, metadata)
