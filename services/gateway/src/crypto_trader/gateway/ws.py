"""Live fan-out: one set of NATS subscriptions per process, copied to every WebSocket client.

Each message is decoded and encoded to JSON once, then offered to each client's bounded queue. A
client whose queue is full is dropped (it reconnects and reloads over REST) so that one slow
browser never delays the others or the NATS callbacks.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import Message
from pydantic import BaseModel

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.errors import InvalidInput
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.portfolio.v1 import portfolio_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2 as risk_orders_pb2
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.gateway.api import schemas

log = logging.getLogger(__name__)

# WebSocket close codes (RFC 6455 section 7.4 and the IANA registry).
CLOSE_GOING_AWAY = 1001
CLOSE_POLICY_VIOLATION = 1008
CLOSE_TRY_AGAIN_LATER = 1013

# Event class -> (frame type, mapping to the JSON shape the REST API uses for the same thing).
_FRAMES: dict[type[Message], tuple[str, Callable[[Any], BaseModel]]] = {
    market_data_pb2.CandleClosed: ("candle", lambda e: schemas.candle_from_proto(e.candle)),
    orders_pb2.OrderUpdated: ("order", lambda e: schemas.order_from_proto(e.order)),
    orders_pb2.OrderFilled: ("fill", schemas.fill_from_proto),
    portfolio_pb2.PositionChanged: ("position", lambda e: schemas.position_from_proto(e.position)),
    portfolio_pb2.EquityUpdated: ("equity", lambda e: schemas.equity_from_proto(e.equity)),
    signals_pb2.SignalGenerated: ("signal", schemas.signal_from_proto),
    risk_orders_pb2.OrderIntentRejected: ("rejection", schemas.rejection_from_proto),
}
FRAMES = {cls.DESCRIPTOR.full_name: frame for cls, frame in _FRAMES.items()}
FRAME_TYPES: frozenset[str] = frozenset(kind for kind, _ in _FRAMES.values())


def encode_frame(kind: str, data: BaseModel) -> str:
    """Return the JSON text of one frame: ``{"type": kind, "data": {...}}``."""
    return json.dumps({"type": kind, "data": data.model_dump(mode="json")}, separators=(",", ":"))


def parse_types(text: str | None) -> frozenset[str]:
    """Read a ``?types=candle,fill`` filter; no filter means every frame type.

    Raises
    ------
    InvalidInput
        When the filter names a type the gateway does not stream.
    """
    if text is None or not text.strip():
        return FRAME_TYPES
    wanted = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = wanted - FRAME_TYPES
    if unknown:
        raise InvalidInput(
            f"unknown frame type(s): {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(sorted(FRAME_TYPES))}"
        )
    return wanted


@dataclass(eq=False)
class Subscriber:
    """One connected client: the frame types it wants and its bounded queue of JSON frames."""

    types: frozenset[str]
    queue: asyncio.Queue[str]
    dropped: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int = CLOSE_TRY_AGAIN_LATER
    close_reason: str = ""

    def drop(self, code: int, reason: str) -> None:
        """Tell the client's connection to close with this WebSocket close code and reason."""
        if not self.dropped.is_set():
            self.close_code = code
            self.close_reason = reason
            self.dropped.set()


class Hub:
    """Fan bus events out to every connected client."""

    def __init__(self, *, queue_size: int) -> None:
        self.queue_size = queue_size
        self._subscribers: set[Subscriber] = set()
        self._subscriptions: list[Any] = []

    @property
    def subscriber_count(self) -> int:
        """How many clients are connected."""
        return len(self._subscribers)

    async def start(self, bus: NatsBus, root: str) -> None:
        """Subscribe to every live subject (core NATS sees JetStream-published messages too)."""
        wanted: list[tuple[str, list[type[Message]]]] = [
            (subjects.all_candles(root), [market_data_pb2.CandleClosed]),
            (
                subjects.all_execution_events(root),
                [orders_pb2.OrderUpdated, orders_pb2.OrderFilled],
            ),
            (
                subjects.all_portfolio(root),
                [portfolio_pb2.PositionChanged, portfolio_pb2.EquityUpdated],
            ),
            (subjects.all_signals(root), [signals_pb2.SignalGenerated]),
            (subjects.all_risk_events(root), [risk_orders_pb2.OrderIntentRejected]),
        ]
        for subject, accepted in wanted:
            self._subscriptions.append(await bus.subscribe(subject, self.dispatch, accepted))
        # The server has registered the interest once the flush returns: nothing published after
        # start() can be missed.
        await bus.client.flush()

    async def stop(self) -> None:
        """Unsubscribe and close every client."""
        for subscription in self._subscriptions:
            try:
                await subscription.unsubscribe()
            except Exception as error:  # the connection may already be gone; closing anyway
                log.debug("unsubscribe failed: %s", error)
        self._subscriptions.clear()
        for subscriber in list(self._subscribers):
            subscriber.drop(CLOSE_GOING_AWAY, "gateway shutting down")
        self._subscribers.clear()

    def register(self, types: frozenset[str]) -> Subscriber:
        """Add a client that wants the given frame types."""
        subscriber = Subscriber(types, asyncio.Queue(maxsize=self.queue_size))
        self._subscribers.add(subscriber)
        return subscriber

    def unregister(self, subscriber: Subscriber) -> None:
        """Remove a client (it disconnected or was dropped)."""
        self._subscribers.discard(subscriber)

    def broadcast(self, kind: str, text: str) -> None:
        """Offer a frame to every client that wants its type; drop clients that cannot keep up."""
        for subscriber in list(self._subscribers):
            if kind not in subscriber.types:
                continue
            try:
                subscriber.queue.put_nowait(text)
            except asyncio.QueueFull:
                log.warning(
                    "dropping a WebSocket client that fell %d frames behind", self.queue_size
                )
                self._subscribers.discard(subscriber)
                subscriber.drop(CLOSE_TRY_AGAIN_LATER, "client too slow")

    async def dispatch(self, message: Message, subject: str) -> None:
        """Turn one bus event into a frame and broadcast it."""
        if not self._subscribers:
            return
        kind, to_schema = FRAMES[message.DESCRIPTOR.full_name]
        try:
            text = encode_frame(kind, to_schema(message))
        except InvalidInput as error:
            log.warning("not forwarding %s from %s: %s", kind, subject, error)
            return
        self.broadcast(kind, text)
