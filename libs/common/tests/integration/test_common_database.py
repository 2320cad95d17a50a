from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect, select

from crypto_trader.common.database import ExactDecimal, make_engine, migrate

pytestmark = pytest.mark.integration

_ENV = """
from alembic import context
from sqlalchemy import MetaData
from crypto_trader.common.database import run_alembic_env

run_alembic_env(context, MetaData())
"""

_REVISION = """
import sqlalchemy as sa
from alembic import op
from crypto_trader.common.database import ExactDecimal

revision = "0001"
down_revision = None


def upgrade():
    op.create_table(
        "demo_amounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", ExactDecimal(), nullable=False),
    )
"""


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "migrations"
    (folder / "versions").mkdir(parents=True)
    (folder / "env.py").write_text(_ENV)
    (folder / "versions" / "0001_demo.py").write_text(_REVISION)
    return folder


class TestMigrations:
    def test_migrations_run_once_and_again_without_change(self, database_url, migrations_dir):
        engine = make_engine(database_url)
        migrate(engine, migrations_dir, version_table="demo_alembic_version")
        migrate(engine, migrations_dir, version_table="demo_alembic_version")
        tables = set(inspect(engine).get_table_names())
        assert {"demo_amounts", "demo_alembic_version"} <= tables
        engine.dispose()


class TestExactDecimal:
    @pytest.mark.parametrize(
        "amount", ["0.1", "123456789.123456789012345678", "-0.000000000000000001"]
    )
    def test_amounts_come_back_exactly(self, database_url, migrations_dir, amount):
        engine = make_engine(database_url)
        migrate(engine, migrations_dir, version_table="demo_alembic_version")
        table = Table("demo_amounts", MetaData(), Column("id", Integer, primary_key=True),
                      Column("amount", ExactDecimal()))  # fmt: skip
        with engine.begin() as connection:
            connection.execute(table.insert().values(id=1, amount=Decimal(amount)))
        with engine.connect() as connection:
            stored = connection.execute(select(table.c.amount)).scalar_one()
        assert stored == Decimal(amount)
        engine.dispose()

    def test_floats_are_refused(self, tmp_path):
        engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
        metadata = MetaData()
        table = Table(
            "t", metadata, Column("id", Integer, primary_key=True), Column("v", ExactDecimal())
        )
        metadata.create_all(engine)
        with pytest.raises(Exception, match="Decimal"), engine.begin() as connection:
            connection.execute(table.insert().values(id=1, v=0.1))
