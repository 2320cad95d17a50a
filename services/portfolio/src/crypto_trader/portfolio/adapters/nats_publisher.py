"""Publish PositionChanged and EquityUpdated on the portfolio stream (event id = Nats-Msg-Id)."""

from __future__ import annotations

from crypto_trader.common import subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.metrics import EVENTS_PUBLISHED
from crypto_trader.contracts.portfolio.v1 import portfolio_pb2
from crypto_trader.portfolio.adapters.codec import equity_to_proto, position_to_proto
from crypto_trader.portfolio.domain.valuation import EquitySnapshot, PositionValue


class NatsPortfolioPublisher:
    """The PortfolioPublisher port over JetStream."""

    def __init__(self, bus: NatsBus, root: str) -> None:
        self._bus = bus
        self._root = root

    async def position_changed(
        self, value: PositionValue, *, event_id: str, ts_event: int, ts_init: int
    ) -> None:
        message = portfolio_pb2.PositionChanged(
            event_id=event_id, ts_event=ts_event, ts_init=ts_init, position=position_to_proto(value)
        )
        subject = subjects.positions(self._root, value.position.account)
        await self._bus.publish_durable(subject, message, msg_id=event_id)
        EVENTS_PUBLISHED.labels("portfolio", "position_changed").inc()

    async def equity_updated(
        self, snapshot: EquitySnapshot, *, event_id: str, ts_event: int, ts_init: int
    ) -> None:
        message = portfolio_pb2.EquityUpdated(
            event_id=event_id, ts_event=ts_event, ts_init=ts_init, equity=equity_to_proto(snapshot)
        )
        subject = subjects.equity(self._root, snapshot.account)
        await self._bus.publish_durable(subject, message, msg_id=event_id)
        EVENTS_PUBLISHED.labels("portfolio", "equity_updated").inc()
