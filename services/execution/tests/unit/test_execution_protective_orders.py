"""Protective exits on the paper exchange: armed at the entry's fill, fired as ordinary orders."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.model import Candle, Side
from crypto_trader.common.protective_exit import ExitHints
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.execution.domain.order import OrderStatus
from crypto_trader.execution.domain.protection import ProtectionStatus, exit_client_order_id
from crypto_trader.execution.handlers import ExecutionHandlers, OutboxRelay, PlaceOrder
from crypto_trader.execution.testing import (
    FIVE_MINUTES_MS,
    FakeMarketHistory,
    FakeOrderStore,
    RecordingPublisher,
    place_order,
)

D = Decimal
SIGNAL_MS = 1_700_000_100_000


def at(index: int) -> int:
    return SIGNAL_MS + index * FIVE_MINUTES_MS


def bar(index: int, open_: str, high: str, low: str, close: str | None = None) -> Candle:
    return Candle(
        exchange="binance",
        symbol="BTC/USDT",
        timeframe="5m",
        open_time_ms=at(index),
        open=D(open_),
        high=D(high),
        low=D(low),
        close=D(close or open_),
        volume=D(1),
    )


class Harness:
    def __init__(self) -> None:
        self.clock = FakeClock(1_800_000_000_000)
        self.store = FakeOrderStore()
        self.publisher = RecordingPublisher()
        self.history = FakeMarketHistory()
        self.handlers = ExecutionHandlers(
            store=self.store,
            history=self.history,
            relay=OutboxRelay(self.store, self.publisher, self.clock),
            clock=self.clock,
            fee_rate=D("0.001"),
            maker_fee_rate=D("0.0005"),
            slippage_bps=D(10),
            protections=self.store,
        )

    async def close(self, candle: Candle) -> list[str]:
        self.history.candles.append(candle)
        return [order.client_order_id for order in await self.handlers.on_candle(candle)]

    def fills(self) -> list[orders_pb2.OrderFilled]:
        return [m for m in self.publisher.decoded() if isinstance(m, orders_pb2.OrderFilled)]

    def updates(self) -> list[orders_pb2.Order]:
        return [m.order for m in self.publisher.decoded() if isinstance(m, orders_pb2.OrderUpdated)]


def entry(signal_id: str, side: Side, hints: ExitHints, **changes: object) -> PlaceOrder:
    command = place_order(signal_id, quantity="2", side=side, not_before_ms=at(0))
    return replace(command, reference_price=D(100), hints=hints, **changes)  # type: ignore[arg-type]


class TestStopLoss:
    async def test_a_long_stop_fires_on_a_later_candle_at_its_price_less_slippage(self) -> None:
        harness = Harness()
        command = entry("long", Side.BUY, ExitHints(stop_loss=D(95), take_profit=D(120)))
        await harness.handlers.on_intent(command)

        filled_entry = await harness.close(bar(1, "100", "101", "96"))
        quiet = await harness.close(bar(2, "99", "100", "96"))
        fired = await harness.close(bar(3, "97", "98", "93"))
        after = await harness.close(bar(4, "90", "91", "80"))

        exit_id = exit_client_order_id(command.client_order_id)
        assert (filled_entry, quiet, fired, after) == ([command.client_order_id], [], [exit_id], [])
        entry_fill, exit_fill = harness.fills()
        assert (entry_fill.side, entry_fill.price) == (1, "100.1")
        # Taker: 10 bps slippage against the sell, the taker fee.
        assert (exit_fill.side, exit_fill.quantity, exit_fill.price) == (2, "2", "94.905")
        assert D(exit_fill.fee) == D("2") * D("94.905") * D("0.001")
        assert exit_fill.ts_event == at(3)
        exit_order = harness.updates()[-1]
        assert (
            exit_order.status,
            exit_order.exit_reason,
            exit_order.protected_client_order_id,
        ) == (
            orders_pb2.ORDER_STATUS_FILLED,
            "stop_loss",
            command.client_order_id,
        )
        protection = await harness.store.get_protection(command.client_order_id)
        assert protection is not None and protection.status is ProtectionStatus.TRIGGERED

    async def test_a_short_take_profit_fills_at_its_price_as_a_maker(self) -> None:
        harness = Harness()
        command = entry("short", Side.SELL, ExitHints(stop_loss=D(110), take_profit=D(90)))
        await harness.handlers.on_intent(command)

        await harness.close(bar(1, "100", "102", "97"))
        await harness.close(bar(2, "95", "99", "89"))

        _, exit_fill = harness.fills()
        assert (exit_fill.side, exit_fill.price, exit_fill.maker) == (1, "90", True)
        assert D(exit_fill.fee) == D("2") * D("90") * D("0.0005")

    async def test_an_entry_at_the_open_is_protected_in_its_own_candle(self) -> None:
        harness = Harness()
        command = entry("same", Side.BUY, ExitHints(stop_loss=D(95)))
        await harness.handlers.on_intent(command)

        filled = await harness.close(bar(1, "100", "101", "94"))

        assert filled == [command.client_order_id, exit_client_order_id(command.client_order_id)]

    async def test_candles_before_a_late_entry_filled_are_checked_from_history(self) -> None:
        harness = Harness()
        harness.history.candles = [bar(1, "100", "101", "99"), bar(2, "98", "99", "90")]
        command = entry("late", Side.BUY, ExitHints(stop_loss=D(95)))

        # The stream ran ahead: the entry fills from history on candle 1, the stop on candle 2.
        order = await harness.handlers.on_intent(command)
        fired = await harness.close(bar(3, "97", "98", "96"))

        assert order.status is OrderStatus.FILLED
        assert fired == [exit_client_order_id(command.client_order_id)]
        assert harness.fills()[-1].ts_event == at(2)

    async def test_a_redelivered_candle_does_not_fire_twice(self) -> None:
        harness = Harness()
        command = entry("twice", Side.BUY, ExitHints(stop_loss=D(95)))
        await harness.handlers.on_intent(command)
        await harness.close(bar(1, "100", "101", "96"))

        first = await harness.close(bar(2, "97", "98", "93"))
        again = await harness.handlers.on_candle(bar(2, "97", "98", "93"))

        assert len(first) == 1 and again == []
        assert len(harness.fills()) == 2


class TestExitSignals:
    async def test_an_exit_signal_cancels_the_protective_exits(self) -> None:
        harness = Harness()
        command = entry("protected", Side.BUY, ExitHints(stop_loss=D(95)))
        await harness.handlers.on_intent(command)
        await harness.close(bar(1, "100", "101", "96"))
        exit_signal = replace(
            place_order("exit", quantity="2", side=Side.SELL, not_before_ms=at(1)),
            reduce_only=True,
        )

        await harness.handlers.on_intent(exit_signal)
        filled = await harness.close(bar(2, "96", "97", "80"))

        assert filled == [exit_signal.client_order_id]
        protection = await harness.store.get_protection(command.client_order_id)
        assert protection is not None and protection.status is ProtectionStatus.CANCELED

    async def test_an_exit_signal_after_the_stop_closed_the_position_is_rejected(self) -> None:
        harness = Harness()
        command = entry("stopped", Side.BUY, ExitHints(stop_loss=D(95)))
        await harness.handlers.on_intent(command)
        await harness.close(bar(1, "100", "101", "90"))
        late_exit = replace(
            place_order("late-exit", quantity="2", side=Side.SELL, not_before_ms=at(1)),
            reduce_only=True,
        )

        order = await harness.handlers.on_intent(late_exit)

        assert order.status is OrderStatus.REJECTED
        assert order.reason == "position already closed by its stop_loss"
