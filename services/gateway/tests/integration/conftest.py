"""Fixtures for the gateway against fake gRPC backends and a real NATS server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crypto_trader.common.embedded import free_port
from crypto_trader.gateway.app import create_app
from crypto_trader.gateway.settings import GatewaySettings
from crypto_trader.gateway.testing import FakeBackends, serve_fake_backends

MakeSettings = Callable[..., GatewaySettings]


@pytest.fixture
def fakes() -> Iterator[FakeBackends]:
    """Every backend service, faked, on free ports."""
    with serve_fake_backends() as backends:
        yield backends


@pytest.fixture
def make_settings(fakes: FakeBackends, nats_url: str, run_root: str) -> MakeSettings:
    """Gateway settings for this test; ``down`` names services that do not answer."""

    def make(
        *, down: tuple[str, ...] = (), frontend_dir: Path | None = None, **changes: Any
    ) -> GatewaySettings:
        values: dict[str, Any] = {
            "infra": fakes.infra(nats_url=nats_url, subject_root=run_root, down=down),
            "port": free_port(),
            "frontend_dir": frontend_dir,
            "request_timeout_seconds": 2.0,
            "health_timeout_seconds": 1.0,
            "heartbeat_seconds": 60.0,
        }
        return GatewaySettings(**(values | changes))

    return make


@pytest.fixture
def client(make_settings: MakeSettings) -> Iterator[TestClient]:
    """A started gateway (lifespan run) with every backend up."""
    with TestClient(create_app(make_settings())) as test_client:
        yield test_client
