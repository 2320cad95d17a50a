"""``/ws``: live frames for one client, fed by the process-wide hub."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketState

from crypto_trader.common.clock import LiveClock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.gateway.api.deps import HubDep, SettingsDep
from crypto_trader.gateway.api.schemas import Hello
from crypto_trader.gateway.ws import CLOSE_POLICY_VIOLATION, Subscriber, encode_frame, parse_types

router = APIRouter(tags=["stream"])


@router.websocket("/ws")
async def stream(
    websocket: WebSocket, hub: HubDep, settings: SettingsDep, types: str | None = None
) -> None:
    """Send a hello frame, then every live frame of the wanted types until either side leaves."""
    await websocket.accept()
    try:
        wanted = parse_types(types)
    except InvalidInput as error:
        await websocket.close(code=CLOSE_POLICY_VIOLATION, reason=str(error)[:120])
        return
    subscriber = hub.register(wanted)
    try:
        hello = Hello(
            account=settings.infra.account,
            types=sorted(wanted),
            server_time_ms=LiveClock().now_ms(),
            queue_size=hub.queue_size,
        )
        await websocket.send_text(encode_frame("hello", hello))
        await _serve(websocket, subscriber)
    finally:
        hub.unregister(subscriber)


async def _serve(websocket: WebSocket, subscriber: Subscriber) -> None:
    tasks = [
        asyncio.create_task(_send_frames(websocket, subscriber.queue)),
        asyncio.create_task(_wait_for_disconnect(websocket)),
        asyncio.create_task(subscriber.dropped.wait()),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        # Also collects a send that failed because the client went away: nothing to report.
        await asyncio.gather(*tasks, return_exceptions=True)
    if subscriber.dropped.is_set() and websocket.application_state == WebSocketState.CONNECTED:
        # A slow client may not read its close frame either: do not wait for it for long.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                websocket.close(code=subscriber.close_code, reason=subscriber.close_reason), 1.0
            )


async def _send_frames(websocket: WebSocket, queue: asyncio.Queue[str]) -> None:
    while True:
        await websocket.send_text(await queue.get())


async def _wait_for_disconnect(websocket: WebSocket) -> None:
    # Client messages carry nothing yet; reading them is how a disconnect is noticed.
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
