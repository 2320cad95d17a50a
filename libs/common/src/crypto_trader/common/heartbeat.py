"""Publish a heartbeat so the gateway and operators can see which instances are alive."""

from __future__ import annotations

import asyncio
import logging

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.clock import Clock
from crypto_trader.common.ids import random_id
from crypto_trader.contracts.system.v1 import heartbeat_pb2

log = logging.getLogger(__name__)


async def beat(
    bus: NatsBus,
    *,
    root: str,
    service: str,
    instance: str,
    every_seconds: float,
    clock: Clock,
    stop: asyncio.Event,
) -> None:
    """Send a heartbeat every ``every_seconds`` until ``stop`` is set."""
    started = clock.now_ms()
    subject = subjects.heartbeat(root, service, subjects.symbol_token(instance.replace(".", "-")))
    while not stop.is_set():
        now = clock.now_ms()
        message = heartbeat_pb2.HeartbeatSent(
            event_id=random_id(),
            ts_event=now,
            ts_init=now,
            service=service,
            instance=instance,
            started_ms=started,
        )
        try:
            await bus.publish(subject, message)
        except Exception as error:  # a missed beat is not worth stopping the service for
            log.debug("heartbeat not sent: %s", error)
        try:
            await asyncio.wait_for(stop.wait(), timeout=every_seconds)
        except TimeoutError:
            pass
