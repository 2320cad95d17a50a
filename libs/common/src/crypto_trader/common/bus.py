"""The message bus: protobuf over NATS core and JetStream, typed by the ``ct-type`` header."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
from google.protobuf import descriptor_pool
from google.protobuf.message import DecodeError, Message
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api

from crypto_trader.common.errors import InvalidInput, InvalidMessage, RetryableError
from crypto_trader.common.metrics import BUS_DELIVERIES, BUS_HANDLER_SECONDS, BUS_PUBLISHED
from crypto_trader.common.streams import StreamSpec

log = logging.getLogger(__name__)

TYPE_HEADER = "ct-type"
MSG_ID_HEADER = "Nats-Msg-Id"


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a JetStream message reached a consumer."""

    subject: str
    msg_id: str | None
    num_delivered: int
    stream_sequence: int


Handler = Callable[[Message, Delivery], Awaitable[None]]
CoreHandler = Callable[[Message, str], Awaitable[None]]


def type_name(message: Message) -> str:
    """Return the full proto name carried in the ``ct-type`` header."""
    return message.DESCRIPTOR.full_name


def decode(
    data: bytes, headers: dict[str, str] | None, accepted: Iterable[type[Message]]
) -> Message:
    """Decode a payload into the message class its header names, if that class is accepted.

    Raises
    ------
    InvalidMessage
        When the type header is missing or not accepted, or the payload does not parse.
    """
    name = (headers or {}).get(TYPE_HEADER)
    by_name = {cls.DESCRIPTOR.full_name: cls for cls in accepted}
    if name is None:
        raise InvalidMessage(f"message without {TYPE_HEADER} header")
    cls = by_name.get(name)
    if cls is None:
        try:
            descriptor = descriptor_pool.Default().FindMessageTypeByName(name)
        except KeyError:
            raise InvalidMessage(f"unknown message type {name!r}") from None
        raise InvalidMessage(f"unexpected message type {descriptor.full_name!r} here")
    message = cls()
    try:
        message.ParseFromString(data)
    except DecodeError as error:
        raise InvalidMessage(f"{name} does not parse: {error}") from None
    return message


class NatsBus:
    """A NATS connection with reconnects, JetStream helpers and protobuf (de)serialisation."""

    def __init__(self, client: Client, *, service: str = "") -> None:
        self._nc = client
        self._service = service
        self._js = client.jetstream(timeout=5.0)
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def connect(cls, url: str, *, name: str) -> NatsBus:
        """Connect, retrying until the server answers; later disconnects reconnect forever."""

        async def on_error(error: Exception) -> None:
            log.warning("nats error: %s", error)

        async def on_disconnect() -> None:
            log.warning("nats disconnected")

        async def on_reconnect() -> None:
            log.info("nats reconnected")

        client = await nats.connect(
            servers=[url],
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=2,
            allow_reconnect=True,
            error_cb=on_error,
            disconnected_cb=on_disconnect,
            reconnected_cb=on_reconnect,
        )
        # Connection names read "<service>-<instance>"; the service part labels the metrics.
        return cls(client, service=name.split("-", 1)[0])

    @property
    def client(self) -> Client:
        """The underlying nats-py client (for health checks)."""
        return self._nc

    async def ensure_stream(self, spec: StreamSpec) -> None:
        """Create the stream or update its configuration; safe to call from every replica."""
        config = api.StreamConfig(
            name=spec.name,
            subjects=list(spec.subjects),
            max_age=spec.max_age_seconds,
            duplicate_window=spec.duplicate_window_seconds,
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
        )
        try:
            await self._js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await self._js.update_stream(config)

    async def publish(self, subject: str, message: Message) -> None:
        """Publish on core NATS (lossy: market data ticks, heartbeats)."""
        await self._nc.publish(
            subject, message.SerializeToString(), headers={TYPE_HEADER: type_name(message)}
        )

    async def publish_durable(
        self, subject: str, message: Message, *, msg_id: str, attempts: int = 20
    ) -> bool:
        """Publish to JetStream, de-duplicated by ``msg_id``; retry transient failures with that id.

        Returns True when the stream already had the message (a duplicate).
        """
        headers = {TYPE_HEADER: type_name(message), MSG_ID_HEADER: msg_id}
        payload = message.SerializeToString()
        delay = 0.05
        for attempt in range(1, attempts + 1):
            try:
                ack = await self._js.publish(subject, payload, headers=headers, timeout=5.0)
                duplicate = bool(ack.duplicate)
                BUS_PUBLISHED.labels(self._service, headers[TYPE_HEADER], str(duplicate)).inc()
                return duplicate
            except (
                nats.errors.TimeoutError,
                nats.errors.NoRespondersError,
                nats.errors.ConnectionClosedError,
                nats.js.errors.NoStreamResponseError,
                nats.js.errors.ServiceUnavailableError,
            ) as error:
                if attempt == attempts:
                    raise RetryableError(
                        f"publish to {subject} failed {attempts} times: {error}"
                    ) from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    async def subscribe(
        self,
        subject: str,
        handler: CoreHandler,
        accepted: Iterable[type[Message]],
        *,
        queue: str = "",
    ) -> Any:
        """Subscribe on core NATS; undecodable messages are logged and dropped."""
        accepted = tuple(accepted)

        async def on_message(msg: Msg) -> None:
            try:
                message = decode(msg.data, msg.headers, accepted)
            except InvalidMessage as error:
                # Subjects may carry event types this subscriber does not care about.
                log.debug("ignored message on %s: %s", msg.subject, error)
                return
            try:
                await handler(message, msg.subject)
            except Exception:
                log.exception("handler failed for %s", msg.subject)

        return await self._nc.subscribe(subject, queue=queue, cb=on_message)

    def consume(
        self,
        stream: StreamSpec,
        *,
        durable: str,
        filter_subject: str,
        handler: Handler,
        accepted: Iterable[type[Message]],
        stop: asyncio.Event,
        ack_wait_seconds: float = 30.0,
        max_deliver: int = -1,
        batch: int = 50,
    ) -> asyncio.Task[None]:
        """Start a durable pull consumer; replicas sharing ``durable`` split the messages.

        Each message is handled in order and acknowledged after its handler returns (AckSync, so a
        restart does not see it again). Invalid messages are terminated; other failures are retried
        with a growing delay, without limit by default: a fill must wait out a database outage, not
        be dropped.
        """
        task = asyncio.create_task(
            self._consume_loop(
                stream,
                durable,
                filter_subject,
                handler,
                tuple(accepted),
                stop,
                api.ConsumerConfig(
                    durable_name=durable,
                    ack_policy=api.AckPolicy.EXPLICIT,
                    deliver_policy=api.DeliverPolicy.ALL,
                    ack_wait=ack_wait_seconds,
                    max_deliver=max_deliver,
                    max_ack_pending=1000,
                    filter_subject=filter_subject,
                ),
                batch,
            ),
            name=f"consume-{durable}",
        )
        self._tasks.append(task)
        return task

    async def _consume_loop(
        self,
        stream: StreamSpec,
        durable: str,
        filter_subject: str,
        handler: Handler,
        accepted: tuple[type[Message], ...],
        stop: asyncio.Event,
        config: api.ConsumerConfig,
        batch: int,
    ) -> None:
        subscription: Any = None
        try:
            while not stop.is_set():
                try:
                    if subscription is None:
                        await self.ensure_stream(stream)
                        subscription = await self._js.pull_subscribe(
                            filter_subject, durable=durable, stream=stream.name, config=config
                        )
                    messages = await subscription.fetch(batch, timeout=1.0)
                except nats.errors.TimeoutError:
                    continue
                except (nats.errors.Error, nats.js.errors.Error, OSError) as error:
                    log.warning("consumer %s waiting for the server: %s", durable, error)
                    if isinstance(error, nats.js.errors.NotFoundError):
                        subscription = None
                    await asyncio.sleep(0.5)
                    continue
                for msg in messages:
                    # Finish the batch even when asked to stop: each message is handled and acked,
                    # or left unacked for redelivery; never half-processed.
                    await self._handle(msg, handler, accepted, durable)
        finally:
            if subscription is not None:
                # The durable consumer stays on the server; only this process's inbox goes away, so
                # draining the connection does not wait for pull requests nobody will answer.
                try:
                    await subscription.unsubscribe()
                except (nats.errors.Error, OSError):
                    pass

    async def _handle(
        self,
        msg: Msg,
        handler: Handler,
        accepted: tuple[type[Message], ...],
        durable: str,
    ) -> None:
        metadata = msg.metadata
        delivery = Delivery(
            subject=msg.subject,
            msg_id=(msg.headers or {}).get(MSG_ID_HEADER),
            num_delivered=metadata.num_delivered or 1,
            stream_sequence=metadata.sequence.stream if metadata.sequence else 0,
        )
        started = time.perf_counter()
        try:
            message = decode(msg.data, msg.headers, accepted)
            await handler(message, delivery)
        except InvalidInput as error:
            log.error("consumer %s rejected message %s: %s", durable, delivery.msg_id, error)
            BUS_DELIVERIES.labels(self._service, durable, "terminated").inc()
            await _settle(msg.term())
            return
        except Exception as error:
            delay = min(0.2 * 2 ** (delivery.num_delivered - 1), 10.0)
            log.warning(
                "consumer %s will retry message %s (delivery %d): %s",
                durable,
                delivery.msg_id,
                delivery.num_delivered,
                error,
                exc_info=not isinstance(error, RetryableError),
            )
            BUS_DELIVERIES.labels(self._service, durable, "retried").inc()
            await _settle(msg.nak(delay=delay))
            return
        BUS_HANDLER_SECONDS.labels(self._service, durable).observe(time.perf_counter() - started)
        BUS_DELIVERIES.labels(self._service, durable, "acked").inc()
        await _settle(msg.ack_sync(timeout=5.0))

    async def close(self) -> None:
        """Wait for consumers to finish their batch, then drain and close the connection."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if not self._nc.is_closed:
            try:
                await self._nc.drain()
            except (nats.errors.Error, OSError):
                await self._nc.close()


async def _settle(action: Awaitable[Any]) -> None:
    # An ack that cannot reach the server is not fatal: the message is redelivered and the
    # handler's own idempotency makes the second run a no-op.
    try:
        await action
    except (nats.errors.Error, OSError) as error:
        log.warning("could not settle message: %s", error)
