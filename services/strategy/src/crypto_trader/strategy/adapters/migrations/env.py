"""Alembic environment of the strategy service: migrate on the connection ``migrate`` hands over."""

from alembic import context

from crypto_trader.common.database import run_alembic_env
from crypto_trader.strategy.adapters.tables import metadata

run_alembic_env(context, metadata)
