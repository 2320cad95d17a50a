"""SQLAlchemy engines and Alembic migrations that work the same on PostgreSQL and SQLite."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Dialect, Engine, MetaData, Numeric, String, create_engine, event, text
from sqlalchemy.types import TypeDecorator, TypeEngine

from crypto_trader.common.model import decimal_str

log = logging.getLogger(__name__)


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal column: NUMERIC(38, 18) on PostgreSQL; text on SQLite, whose NUMERIC rounds."""

    impl = String(64)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(38, 18, asdecimal=True))
        return dialect.type_descriptor(String(64))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> object:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"ExactDecimal column needs a Decimal, got {type(value).__name__}")
        return value if dialect.name == "postgresql" else decimal_str(value)

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:  # noqa: ARG002
        if value is None:
            return None
        return Decimal(str(value))


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """Build an engine; SQLite gets WAL and a busy timeout so several processes can share a file."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def migrate(engine: Engine, migrations_dir: Path, *, version_table: str) -> None:
    """Upgrade the service's tables to the newest revision; replicas take turns."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Transaction-scoped advisory lock: released at commit, one migrator at a time.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": version_table}
            )
        config.attributes["connection"] = connection
        config.attributes["version_table"] = version_table
        command.upgrade(config, "head")


def run_alembic_env(context: Any, target_metadata: MetaData) -> None:
    """Body of every service's ``env.py``: migrate on the connection handed over by ``migrate``."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=context.config.attributes["version_table"],
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
