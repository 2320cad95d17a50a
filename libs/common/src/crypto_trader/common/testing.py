"""Test support shared by every package: real infrastructure on localhost, or embedded servers.

Tests use the NATS, PostgreSQL and Redis servers on localhost when they answer (CI starts them).
On a machine with only Python, NATS and Redis are started from their wheels, and PostgreSQL tests
are skipped unless ``CT_TEST_REQUIRE_POSTGRES=1`` demands them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crypto_trader.common.embedded import (
    EmbeddedServer,
    free_port,
    port_answers,
    start_nats,
    start_redis,
)

POSTGRES_ADMIN_URL = os.environ.get(
    "CT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def run_id() -> str:
    """A short unique word for isolating one test's subjects, streams, keys and databases."""
    return "t" + uuid.uuid4().hex[:10]


@contextmanager
def nats_server(tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a NATS server with JetStream: the local one, or an embedded one."""
    url = os.environ.get("CT_TEST_NATS_URL", "nats://127.0.0.1:4222")
    port = int(url.rsplit(":", 1)[1])
    if port_answers(port):
        yield url
        return
    server = start_nats(free_port(), tmp_dir / "nats")
    try:
        yield server.url
    finally:
        server.stop()


@contextmanager
def redis_server(tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a Redis server: the local one, or an embedded one."""
    url = os.environ.get("CT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    if port_answers(port):
        yield url
        return
    server: EmbeddedServer = start_redis(free_port(), tmp_dir / "redis")
    try:
        yield server.url
    finally:
        server.stop()


def postgres_available() -> bool:
    """Tell whether the PostgreSQL server for tests answers."""
    host_port = POSTGRES_ADMIN_URL.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    return port_answers(int(port or 5432), host)


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """Create an empty PostgreSQL database for one test run and drop it afterwards."""
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def port_answers_url(url: str) -> bool:
    """Tell whether the server of a ``scheme://host:port[/...]`` URL accepts connections."""
    host_port = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = host_port.partition(":")
    return port_answers(int(port), host)
