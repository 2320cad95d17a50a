"""The WebSocket stream, through a real uvicorn server: bus events reach clients as JSON frames."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from fastapi.testclient import TestClient
from fastapi.websockets import WebSocketDisconnect
from google.protobuf.message import Message
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from crypto_trader.common import streams, subjects
from crypto_trader.common.bus import NatsBus
from crypto_trader.common.embedded import wait_for_port
from crypto_trader.contracts.marketdata.v1 import market_data_pb2
from crypto_trader.contracts.portfolio.v1 import portfolio_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2 as risk_orders_pb2
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.gateway import testing
from crypto_trader.gateway.app import create_app, run
from crypto_trader.gateway.settings import GatewaySettings

pytestmark = pytest.mark.integration

TIMEOUT = 5.0


@contextmanager
def running_gateway(settings: GatewaySettings) -> Iterator[str]:
    """Run ``app.run`` in a thread, yield its WebSocket URL, then stop it as SIGTERM does."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(run(settings, stop),))
    thread.start()
    try:
        # uvicorn listens only after the lifespan (bus, hub subscriptions) has started.
        wait_for_port(settings.port, timeout=15)
        yield f"ws://{settings.host}:{settings.port}/api/v1/ws"
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(15)
        loop.close()
    assert not thread.is_alive()


@contextmanager
def durable_streams(nats_url: str, root: str) -> Iterator[None]:
    """The JetStream streams the events go to, deleted after the test."""
    specs = [
        streams.candle_stream(root),
        streams.execution_event_stream(root),
        streams.portfolio_stream(root),
    ]

    async def ensure() -> None:
        bus = await NatsBus.connect(nats_url, name="test-setup")
        for spec in specs:
            await bus.ensure_stream(spec)
        await bus.close()

    async def delete() -> None:
        bus = await NatsBus.connect(nats_url, name="test-teardown")
        for spec in specs:
            await bus.client.jetstream().delete_stream(spec.name)
        await bus.close()

    asyncio.run(ensure())
    try:
        yield
    finally:
        asyncio.run(delete())


def publish(nats_url: str, events: list[tuple[str, Message, bool]]) -> None:
    """Publish (subject, message, durable) in order, as the owning services do."""

    async def send() -> None:
        bus = await NatsBus.connect(nats_url, name="test-publisher")
        for subject, message, durable in events:
            if durable:
                await bus.publish_durable(subject, message, msg_id=message.event_id)
            else:
                await bus.publish(subject, message)
        await bus.close()

    asyncio.run(send())


def receive(ws: ClientConnection) -> dict:
    return json.loads(ws.recv(timeout=TIMEOUT))


class TestStream:
    def test_candle_fill_and_equity_published_on_nats_arrive_as_frames(
        self, make_settings, nats_url: str, run_root: str
    ) -> None:
        candle = market_data_pb2.CandleClosed(
            event_id="c1", ts_event=1, ts_init=1, candle=testing.a_candle()
        )
        fill = testing.a_fill("ct-1")
        equity = portfolio_pb2.EquityUpdated(
            event_id="e1", ts_event=2, ts_init=2, equity=testing.an_equity()
        )
        with (
            durable_streams(nats_url, run_root),
            running_gateway(make_settings()) as url,
            connect(url, open_timeout=TIMEOUT) as ws,
        ):
            hello = receive(ws)
            publish(
                nats_url,
                [
                    (subjects.candles(run_root, "binance", "BTC/USDT", "5m"), candle, True),
                    (subjects.execution_events(run_root, "paper", "BTC/USDT"), fill, True),
                    (subjects.equity(run_root, "paper"), equity, True),
                ],
            )
            frames = [receive(ws) for _ in range(3)]

        assert hello["type"] == "hello"
        assert hello["data"]["account"] == "paper"
        assert set(hello["data"]["types"]) >= {"candle", "fill", "equity"}
        by_type = {frame["type"]: frame["data"] for frame in frames}
        assert by_type["candle"]["close"] == "37050.5"
        assert by_type["candle"]["open_time_ms"] == testing.OPEN_TIME_MS
        assert by_type["fill"]["trade_id"] == "paper-ct-1-1"
        assert by_type["fill"]["side"] == "buy"
        assert by_type["equity"]["equity"] == "10000.364365"

    def test_every_client_gets_every_frame_and_a_filter_narrows_it(
        self, make_settings, nats_url: str, run_root: str
    ) -> None:
        position = portfolio_pb2.PositionChanged(event_id="p1", position=testing.a_position())
        signal = signals_pb2.SignalGenerated(
            event_id="s1",
            instance_id="sma-1",
            action=signals_pb2.SIGNAL_ACTION_EXIT_LONG,
            symbol="BTC/USDT",
            reference_price="37000",
        )
        rejection = risk_orders_pb2.OrderIntentRejected(
            event_id="r1", signal_id="s1", symbol="BTC/USDT", reason="no position to close"
        )
        with (
            running_gateway(make_settings()) as url,
            connect(url, open_timeout=TIMEOUT) as everything,
            connect(f"{url}?types=rejection", open_timeout=TIMEOUT) as rejections,
        ):
            receive(everything)
            assert receive(rejections)["data"]["types"] == ["rejection"]
            publish(
                nats_url,
                [
                    (subjects.positions(run_root, "paper"), position, False),
                    (subjects.signals(run_root, "paper"), signal, False),
                    (subjects.risk_events(run_root, "paper"), rejection, False),
                ],
            )
            all_frames = [receive(everything) for _ in range(3)]
            only = receive(rejections)

        assert [f["type"] for f in all_frames] == ["position", "signal", "rejection"]
        assert all_frames[1]["data"]["action"] == "exit_long"
        assert only == {
            "type": "rejection",
            "data": {
                "event_id": "r1",
                "signal_id": "s1",
                "account": "",
                "exchange": "",
                "symbol": "BTC/USDT",
                "reason": "no position to close",
                "ts_event": 0,
            },
        }

    def test_unknown_frame_type_closes_with_policy_violation(self, make_settings) -> None:
        with (
            running_gateway(make_settings()) as url,
            connect(f"{url}?types=candle,gossip", open_timeout=TIMEOUT) as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=TIMEOUT)

        assert closed.value.rcvd.code == 1008
        assert "gossip" in closed.value.rcvd.reason

    def test_stopping_the_gateway_closes_open_clients(self, make_settings) -> None:
        with ExitStack() as client_side:
            with running_gateway(make_settings()) as url:
                ws = client_side.enter_context(connect(url, open_timeout=TIMEOUT))
                receive(ws)

            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=TIMEOUT)
        # uvicorn closes open sockets as "service restart" before the hub says "going away".
        assert closed.value.rcvd.code in (1001, 1012)


class TestSlowClient:
    def test_client_that_falls_behind_is_closed_with_try_again_later(self, make_settings) -> None:
        app = create_app(make_settings(ws_queue_size=1))
        fill = testing.a_fill()

        async def burst() -> None:
            # Three frames in one step of the event loop: the client cannot drain its queue of one.
            for _ in range(3):
                await app.state.hub.dispatch(fill, "test")

        with TestClient(app) as client, client.websocket_connect("/api/v1/ws") as ws:
            assert ws.receive_json()["type"] == "hello"
            client.portal.call(burst)
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    ws.receive_json()

        assert closed.value.code == 1013
        assert closed.value.reason == "client too slow"
        assert app.state.hub.subscriber_count == 0
