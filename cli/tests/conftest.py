"""Helpers for the cli tests: waiting for a condition, finding free consecutive ports."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import pytest

from crypto_trader.common.embedded import port_is_free


def _wait_until(condition: Callable[[], object], timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


async def _eventually(condition: Callable[[], object], timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture
def wait_until() -> Callable[..., object]:
    """Poll a condition (blocking) until it is truthy; return its value."""
    return _wait_until


@pytest.fixture
def eventually() -> Callable[..., Awaitable[object]]:
    """Poll a condition (async) until it is truthy; return its value."""
    return _eventually


def _free_run(count: int) -> int:
    for _ in range(200):
        start = random.randint(20000, 60000 - count)
        if all(port_is_free(start + offset) for offset in range(count)):
            return start
    raise RuntimeError(f"no {count} consecutive free ports found")


@pytest.fixture
def free_ports() -> Callable[[int], int]:
    """Return the first of ``count`` consecutive ports that are free right now."""
    return _free_run
