from collections.abc import AsyncIterator

import pytest

from crypto_trader.common import streams
from crypto_trader.common.bus import NatsBus


@pytest.fixture
async def bus(nats_url: str, run_root: str) -> AsyncIterator[NatsBus]:
    """A connection with this run's candle stream, removed after the test."""
    connection = await NatsBus.connect(nats_url, name="test-marketdata")
    await connection.ensure_stream(streams.candle_stream(run_root))
    yield connection
    await connection.client.jetstream().delete_stream(streams.candle_stream(run_root).name)
    await connection.close()
