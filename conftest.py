"""Fixtures for real infrastructure, shared by every test tree."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto_trader.common import testing


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A NATS server with JetStream."""
    with testing.nats_server(tmp_path_factory.mktemp("nats")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server."""
    with testing.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def run_root() -> str:
    """A subject root / key prefix / stream prefix unique to this test."""
    return testing.run_id()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test."""
    if not testing.postgres_available():
        if os.environ.get("CT_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (CT_TEST_REQUIRE_POSTGRES=1) but does not answer")
        pytest.skip("PostgreSQL does not answer on localhost")
    with testing.postgres_database(testing.run_id()) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database the platform supports: a SQLite file and a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The real exchange data kept beside the repository (never copied into it)."""
    path = Path(
        os.environ.get(
            "CT_TEST_DATA_DIR", Path(__file__).resolve().parent.parent / "shared" / "data"
        )
    )
    if not path.is_dir():
        pytest.skip(f"real exchange data not found at {path} (set CT_TEST_DATA_DIR)")
    return path
