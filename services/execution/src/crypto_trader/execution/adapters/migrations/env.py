"""Alembic environment of the execution service (run through ``common.database.migrate``)."""

from alembic import context

from crypto_trader.common.database import run_alembic_env
from crypto_trader.execution.adapters.tables import metadata

run_alembic_env(context, metadata)
