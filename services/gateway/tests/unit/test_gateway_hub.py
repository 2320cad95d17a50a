"""The WebSocket fan-out hub: type filters, bounded queues, slow clients dropped alone."""

from __future__ import annotations

import json

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.portfolio.v1 import portfolio_pb2
from crypto_trader.gateway import testing
from crypto_trader.gateway.ws import (
    CLOSE_GOING_AWAY,
    CLOSE_TRY_AGAIN_LATER,
    FRAME_TYPES,
    Hub,
    parse_types,
)


def _drain(queue) -> list[dict]:
    frames = []
    while not queue.empty():
        frames.append(json.loads(queue.get_nowait()))
    return frames


class TestParseTypes:
    def test_no_filter_means_every_type(self) -> None:
        assert parse_types(None) == FRAME_TYPES
        assert parse_types("") == FRAME_TYPES

    def test_comma_separated_filter(self) -> None:
        assert parse_types("candle, fill") == {"candle", "fill"}

    def test_unknown_type_is_refused_with_the_choices(self) -> None:
        with pytest.raises(InvalidInput, match="unknown frame type.*bogus.*candle"):
            parse_types("candle,bogus")


class TestDispatch:
    async def test_event_becomes_a_typed_frame_in_the_rest_shape(self) -> None:
        hub = Hub(queue_size=10)
        client = hub.register(FRAME_TYPES)

        await hub.dispatch(market_data_pb2.CandleClosed(candle=testing.a_candle()), "s")
        await hub.dispatch(portfolio_pb2.EquityUpdated(equity=testing.an_equity()), "s")

        frames = _drain(client.queue)
        assert [f["type"] for f in frames] == ["candle", "equity"]
        assert frames[0]["data"]["close"] == "37050.5"
        assert frames[1]["data"]["equity"] == "10000.364365"

    async def test_client_gets_only_the_types_it_asked_for(self) -> None:
        hub = Hub(queue_size=10)
        fills_only = hub.register(frozenset({"fill"}))
        everything = hub.register(FRAME_TYPES)

        await hub.dispatch(market_data_pb2.CandleClosed(candle=testing.a_candle()), "s")
        await hub.dispatch(testing.a_fill(), "s")

        assert [f["type"] for f in _drain(fills_only.queue)] == ["fill"]
        assert [f["type"] for f in _drain(everything.queue)] == ["candle", "fill"]

    async def test_malformed_event_is_skipped_and_later_ones_still_flow(self) -> None:
        hub = Hub(queue_size=10)
        client = hub.register(FRAME_TYPES)

        await hub.dispatch(testing.a_fill(price="not-a-price"), "s")
        await hub.dispatch(orders_pb2.OrderUpdated(order=testing.an_order()), "s")

        assert [f["type"] for f in _drain(client.queue)] == ["order"]


class TestSlowClients:
    async def test_full_queue_drops_only_that_client(self) -> None:
        hub = Hub(queue_size=2)
        slow = hub.register(FRAME_TYPES)
        fast = hub.register(FRAME_TYPES)

        for index in range(3):
            # The fast client keeps up with the first two fills; the slow one reads nothing.
            if index == 2:
                _drain(fast.queue)
            await hub.dispatch(testing.a_fill(client_order_id=f"ct-{index}"), "s")

        assert slow.dropped.is_set()
        assert slow.close_code == CLOSE_TRY_AGAIN_LATER
        assert not fast.dropped.is_set()
        assert hub.subscriber_count == 1
        assert [f["data"]["client_order_id"] for f in _drain(fast.queue)] == ["ct-2"]

    async def test_stop_tells_every_client_the_gateway_is_going_away(self) -> None:
        hub = Hub(queue_size=2)
        client = hub.register(FRAME_TYPES)

        await hub.stop()

        assert client.dropped.is_set()
        assert client.close_code == CLOSE_GOING_AWAY
        assert hub.subscriber_count == 0
