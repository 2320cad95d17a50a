"""Use cases of execution: place approved orders, fill them on the paper exchange, relay events."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle, Side, Timeframe
from crypto_trader.execution.domain import paper_matching
from crypto_trader.execution.domain.events import ExecutionEvent, order_filled, order_updated
from crypto_trader.execution.domain.order import Order, OrderType, TradingMode
from crypto_trader.execution.ports import EventPublisher, MarketHistory, OrderStore, Outbox

log = logging.getLogger(__name__)

# A conflicting writer (another replica, or the other consumer) rarely races us more than once.
_FILL_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """An order intent risk approved, to be turned into exactly one order."""

    intent_id: str
    client_order_id: str
    account: str
    exchange: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    mode: TradingMode
    timeframe: str
    not_before_ms: int


class OutboxRelay:
    """Publish committed events in commit order and mark them sent; one pass at a time."""

    def __init__(
        self, outbox: Outbox, publisher: EventPublisher, clock: Clock, *, batch: int = 100
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._clock = clock
        self._batch = batch
        self._lock = asyncio.Lock()

    async def publish_pending(self) -> int:
        """Publish every unsent event in order, stopping at the first failure; return the count."""
        published = 0
        async with self._lock:
            while True:
                pending = await self._outbox.unsent(self._batch)
                for message in pending:
                    await self._publisher.publish(message)
                    await self._outbox.mark_sent(message.event_id, self._clock.now_ms())
                    published += 1
                if len(pending) < self._batch:
                    return published

    async def publish_pending_quietly(self) -> int:
        """Publish what can be published now; a failure is logged and left to the next pass."""
        try:
            return await self.publish_pending()
        except RetryableError as error:
            log.warning("outbox relay will retry: %s", error)
        except Exception:
            log.exception("outbox relay failed; will retry")
        return 0

    async def run(self, *, every_seconds: float, stop: asyncio.Event) -> None:
        """Publish leftovers every ``every_seconds`` until ``stop`` is set."""
        while not stop.is_set():
            await self.publish_pending_quietly()
            try:
                await asyncio.wait_for(stop.wait(), timeout=every_seconds)
            except TimeoutError:
                pass


class ExecutionHandlers:
    """The paper exchange's order lifecycle: accept each intent once, fill it on the next candle."""

    def __init__(
        self,
        *,
        store: OrderStore,
        history: MarketHistory,
        relay: OutboxRelay,
        clock: Clock,
        fee_rate: Decimal,
        slippage_bps: Decimal = Decimal(0),
    ) -> None:
        self._store = store
        self._history = history
        self._relay = relay
        self._clock = clock
        self._fee_rate = fee_rate
        self._slippage_bps = slippage_bps

    async def on_intent(self, command: PlaceOrder) -> Order:
        """Create the order of an approved intent (once per client order id); fill it if it can."""
        order = await self._store.get(command.client_order_id)
        if order is None:
            order = await self._create(command)
        else:
            log.info("intent %s already has order %s", command.intent_id, order.client_order_id)
        # Also for a known order: a crash may have left its events unsent.
        await self._relay.publish_pending_quietly()
        if not order.is_open:
            return order
        # The candle to fill on may have been on the stream before the order existed; ask history.
        candle = await self._history.first_candle_after(
            order.exchange, order.symbol, order.timeframe, order.not_before_ms
        )
        if candle is None:
            return order
        order, _ = await self._fill(order, candle)
        return order

    async def on_candle(self, candle: Candle) -> list[Order]:
        """Fill every open order the closed candle matches; return the orders it filled."""
        if not candle.closed:
            return []
        orders = await self._store.open_orders(
            candle.exchange,
            candle.symbol,
            candle.timeframe,
            not_before_below_ms=candle.open_time_ms,
        )
        filled = []
        for order in orders:
            fill_on = candle
            if candle.open_time_ms - order.not_before_ms > Timeframe(candle.timeframe).milliseconds:
                # This is not the candle right after the order's signal: the order came in late
                # (the stream ran ahead of it), so it fills on the first candle after the signal.
                fill_on = (
                    await self._history.first_candle_after(
                        order.exchange, order.symbol, order.timeframe, order.not_before_ms
                    )
                    or candle
                )
            after, filled_now = await self._fill(order, fill_on)
            if filled_now:
                filled.append(after)
        return filled

    async def _create(self, command: PlaceOrder) -> Order:
        now = self._clock.now_ms()
        order = Order(
            client_order_id=command.client_order_id,
            account=command.account,
            exchange=command.exchange,
            symbol=command.symbol,
            side=command.side,
            order_type=command.order_type,
            quantity=command.quantity,
            mode=command.mode,
            timeframe=command.timeframe,
            not_before_ms=command.not_before_ms,
            intent_id=command.intent_id,
            created_ms=now,
            updated_ms=now,
        )
        reason = _refusal(order)
        if reason is None:
            venue_order_id = paper_matching.paper_venue_order_id(order.client_order_id)
            order = order.accept(venue_order_id=venue_order_id, ts_ms=now)
        else:
            order = order.reject(reason=reason, ts_ms=now)
        if await self._store.add(order, [order_updated(order, ts_init=now)]):
            log.info("order %s %s", order.client_order_id, order.status)
            return order
        # Another consumer created it between our read and our insert: theirs is the order.
        existing = await self._store.get(command.client_order_id)
        if existing is None:
            raise RetryableError(f"order {command.client_order_id} vanished after a conflict")
        return existing

    async def _fill(self, order: Order, candle: Candle) -> tuple[Order, bool]:
        # Returns the order as it now is, and whether this call filled it.
        for _ in range(_FILL_ATTEMPTS):
            fill = paper_matching.match(
                order, candle, fee_rate=self._fee_rate, slippage_bps=self._slippage_bps
            )
            if fill is None:
                return order, False
            now = self._clock.now_ms()
            after = order.apply_fill(fill, ts_ms=now)
            events: list[ExecutionEvent] = [
                order_filled(after, fill, ts_init=now),
                order_updated(after, ts_init=now),
            ]
            if await self._store.save_fill(order, after, fill, events):
                log.info(
                    "order %s filled %s at %s",
                    order.client_order_id,
                    fill.quantity,
                    fill.price,
                )
                await self._relay.publish_pending_quietly()
                return after, True
            reloaded = await self._store.get(order.client_order_id)
            if reloaded is None:
                raise RetryableError(f"order {order.client_order_id} vanished while filling")
            order = reloaded
        raise RetryableError(f"order {order.client_order_id} kept changing while filling")


def _refusal(order: Order) -> str | None:
    if order.mode is not TradingMode.PAPER:
        return "live trading is not enabled on this execution service"
    return paper_matching.unsupported_reason(order)
