"""Fixtures for running the execution service in-process against real NATS and a real database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats.js.errors
import pytest

from crypto_trader.common import streams
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.embedded import free_port
from crypto_trader.common.settings import InfraSettings
from crypto_trader.execution.settings import ExecutionSettings
from crypto_trader.execution.testing import Platform, fake_marketdata


@pytest.fixture
async def platform(
    nats_url: str, run_root: str, database_url: str, tmp_path: Path
) -> AsyncIterator[Platform]:
    bus = await NatsBus.connect(nats_url, name=f"test-{run_root}")
    for spec in (streams.approved_order_stream(run_root), streams.candle_stream(run_root)):
        await bus.ensure_stream(spec)
    async with fake_marketdata() as (servicer, address):
        settings = ExecutionSettings(
            grpc_port=free_port(),
            heartbeat_seconds=60,
            shutdown_grace_seconds=0.1,
            relay_interval_seconds=0.2,
            infra=InfraSettings(
                nats_url=nats_url,
                database_url=database_url,
                subject_root=run_root,
                data_dir=tmp_path,
                marketdata_addr=address,
                log_json=False,
            ),
        )
        yield Platform(bus=bus, root=run_root, marketdata=servicer, settings=settings)
    js: Any = bus.client.jetstream()
    for spec in streams.all_streams(run_root):
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(spec.name)
    await bus.close()
