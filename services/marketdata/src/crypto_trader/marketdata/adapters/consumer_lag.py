"""Read how far the durable consumers of a JetStream stream are behind (for the replay's flow)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import nats.errors
import nats.js.errors
from nats.js import api

from crypto_trader.common.bus import NatsBus
from crypto_trader.common.errors import RetryableError

log = logging.getLogger(__name__)


class JetStreamConsumerLag:
    """The most messages any live durable consumer of a stream has not acknowledged yet.

    A consumer behind by pending and unacknowledged messages that has neither received nor
    acknowledged anything for ``stale_seconds`` is taken for gone (a stopped service keeps its
    durable consumer on the server), and ignored, so it cannot hold the replay back forever.
    """

    def __init__(self, bus: NatsBus, *, stream: str, stale_seconds: float = 30.0) -> None:
        self._jsm = bus.client.jsm()
        self._stream = stream
        self._stale_seconds = stale_seconds
        self._ignored: set[str] = set()

    async def lag(self) -> int:
        """Return the largest ``num_pending + num_ack_pending`` over the live durable consumers."""
        try:
            infos = await self._jsm.consumers_info(self._stream)
        except (nats.errors.Error, nats.js.errors.Error, OSError) as error:
            raise RetryableError(f"consumers of {self._stream} unknown: {error}") from error
        now = datetime.now(UTC)
        lags = [0]
        for info in infos:
            if not info.config.durable_name:
                continue
            behind = (info.num_pending or 0) + (info.num_ack_pending or 0)
            if behind and self._stale(info, now):
                if info.name not in self._ignored:
                    log.warning(
                        "consumer %s of %s is %d behind and idle: the replay does not wait for it",
                        info.name,
                        self._stream,
                        behind,
                    )
                    self._ignored.add(info.name)
                continue
            self._ignored.discard(info.name)
            lags.append(behind)
        return max(lags)

    def _stale(self, info: api.ConsumerInfo, now: datetime) -> bool:
        moments = [info.created]
        moments += [
            sequence.last_active
            for sequence in (info.delivered, info.ack_floor)
            if sequence is not None and sequence.last_active is not None
        ]
        latest = max(moment if moment.tzinfo else moment.replace(tzinfo=UTC) for moment in moments)
        return (now - latest).total_seconds() > self._stale_seconds
