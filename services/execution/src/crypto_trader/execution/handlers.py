"""Use cases of execution: place approved orders, fill them on the paper exchange, relay events."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from decimal import Decimal

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import RetryableError
from crypto_trader.common.model import Candle, Side, Timeframe
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints, ExitTrigger
from crypto_trader.execution.domain import paper_matching
from crypto_trader.execution.domain.events import ExecutionEvent, order_filled, order_updated
from crypto_trader.execution.domain.order import Fill, Order, OrderType, TradingMode
from crypto_trader.execution.domain.protection import EntryProtection, ProtectionStatus
from crypto_trader.execution.ports import (
    EventPublisher,
    MarketHistory,
    OrderStore,
    Outbox,
    ProtectionStore,
)

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
    reference_price: Decimal = Decimal(0)
    # Protective exits to arm once an entry fills (prices; see common.protective_exit).
    hints: ExitHints = NO_HINTS
    # The order closes a position: the position's protective exits are canceled.
    reduce_only: bool = False


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
    """The paper exchange's order lifecycle: accept each intent once, fill it on the next candle,
    and close positions whose protective exits (stop-loss, take-profit, trailing) a candle hits.
    """

    def __init__(
        self,
        *,
        store: OrderStore,
        history: MarketHistory,
        relay: OutboxRelay,
        clock: Clock,
        fee_rate: Decimal,
        slippage_bps: Decimal = Decimal(0),
        maker_fee_rate: Decimal | None = None,
        protections: ProtectionStore | None = None,
    ) -> None:
        self._store = store
        self._history = history
        self._relay = relay
        self._clock = clock
        self._fee_rate = fee_rate
        self._maker_fee_rate = fee_rate if maker_fee_rate is None else maker_fee_rate
        self._slippage_bps = slippage_bps
        # Without a protection store (tests of plain orders), hints are ignored.
        self._protections = protections

    async def on_intent(self, command: PlaceOrder) -> Order:
        """Create the order of an approved intent (once per client order id); fill it if it can."""
        order = await self._store.get(command.client_order_id)
        if order is None:
            refusal = await self._prepare_protections(command)
            order = await self._create(command, refusal)
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
        order, filled_now = await self._fill(order, candle)
        if filled_now:
            await self._arm(order, candle)
        return order

    async def on_candle(self, candle: Candle) -> list[Order]:
        """Fill every open order the closed candle matches, then check the market's protective
        exits against it; return the orders it filled (protective exits included)."""
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
                exit_order = await self._arm(after, fill_on)
                if exit_order is not None:
                    filled.append(exit_order)
        filled.extend(await self._protect_market(candle))
        return filled

    async def _prepare_protections(self, command: PlaceOrder) -> str | None:
        # Record an entry's protection before its order, so a crash in between never leaves a
        # filled entry unprotected; a closing order cancels the protection of what it closes.
        # Returns why the order must be refused, if it must.
        if self._protections is None:
            return None
        now = self._clock.now_ms()
        if not command.reduce_only:
            await self._protections.add_protection(
                EntryProtection(
                    entry_client_order_id=command.client_order_id,
                    account=command.account,
                    exchange=command.exchange,
                    symbol=command.symbol,
                    timeframe=command.timeframe,
                    side=command.side,
                    reference_price=command.reference_price,
                    hints=command.hints,
                    created_ms=now,
                    updated_ms=now,
                )
            )
            return None
        closed_side = Side.SELL if command.side is Side.BUY else Side.BUY
        entries = [
            p
            for p in await self._protections.protections_of(
                command.account, command.exchange, command.symbol
            )
            if p.side is closed_side
        ]
        watching = [p for p in entries if p.is_watching]
        for protection in watching:
            if await self._protections.save_protection(protection, protection.cancel(ts_ms=now)):
                log.info("protective exits of %s canceled", protection.entry_client_order_id)
        if not watching and entries and entries[-1].status is ProtectionStatus.TRIGGERED:
            # The strategy's exit raced a protective exit that already closed the position.
            return f"position already closed by its {entries[-1].exit_reason}"
        return None

    async def _arm(self, entry: Order, candle: Candle) -> Order | None:
        # The entry filled at the open of ``candle``: its protection watches from that candle on.
        # Returns the exit order when that very candle fires it.
        if self._protections is None or entry.exit_reason or entry.average_price is None:
            return None
        protection = await self._protections.get_protection(entry.client_order_id)
        if protection is None or protection.status is not ProtectionStatus.PENDING:
            return None
        armed = protection.arm(
            fill_price=entry.average_price,
            quantity=entry.filled_quantity,
            candle_open_ms=candle.open_time_ms,
            ts_ms=self._clock.now_ms(),
        )
        if not await self._protections.save_protection(protection, armed):
            return None
        return await self._protect(armed, candle)

    async def _protect_market(self, candle: Candle) -> list[Order]:
        if self._protections is None:
            return []
        exits = []
        for protection in await self._protections.watching_protections(
            candle.exchange, candle.symbol, candle.timeframe
        ):
            exit_order = await self._protect(protection, candle)
            if exit_order is not None:
                exits.append(exit_order)
        return exits

    async def _protect(self, protection: EntryProtection, candle: Candle) -> Order | None:
        # Check every candle since the last one checked, up to ``candle``: candles the stream
        # delivered before the entry filled come from history.
        if self._protections is None or protection.status is not ProtectionStatus.ACTIVE:
            return None
        candles = [candle]
        step = Timeframe(candle.timeframe).milliseconds
        if protection.checked_through_ms + step < candle.open_time_ms:
            missed = await self._history.candles_between(
                candle.exchange,
                candle.symbol,
                candle.timeframe,
                protection.checked_through_ms,
                candle.open_time_ms,
            )
            candles = [*missed, candle]
        state = protection
        for bar in candles:
            state, fired = state.on_candle(bar, ts_ms=self._clock.now_ms())
            if fired is not None:
                exit_order = await self._exit(state, fired, bar)
                await self._protections.save_protection(protection, state)
                return exit_order
        if state != protection:
            await self._protections.save_protection(protection, state)
        return None

    async def _exit(self, protection: EntryProtection, fired: ExitTrigger, candle: Candle) -> Order:
        # An ordinary order through the state machine and the outbox, with a deterministic id:
        # redoing it after a crash finds the same order and the same trade.
        now = self._clock.now_ms()
        order = await self._store.get(protection.exit_client_order_id)
        if order is None:
            order = Order(
                client_order_id=protection.exit_client_order_id,
                account=protection.account,
                exchange=protection.exchange,
                symbol=protection.symbol,
                side=Side.SELL if protection.side is Side.BUY else Side.BUY,
                order_type=OrderType.MARKET,
                quantity=protection.quantity,
                mode=TradingMode.PAPER,
                timeframe=protection.timeframe,
                # Never matched as a market order: it fills at its trigger price, below.
                not_before_ms=candle.open_time_ms,
                created_ms=now,
                updated_ms=now,
                exit_reason=fired.reason.value,
                protected_client_order_id=protection.entry_client_order_id,
            )
            order = order.accept(
                venue_order_id=paper_matching.paper_venue_order_id(order.client_order_id),
                ts_ms=now,
            )
            if not await self._store.add(order, [order_updated(order, ts_init=now)]):
                order = await self._store.get(order.client_order_id) or order
            log.info(
                "%s of %s triggered at %s",
                fired.reason.value,
                protection.entry_client_order_id,
                fired.price,
            )
        if not order.is_open:
            return order
        fill = paper_matching.protective_fill(
            order,
            fired,
            candle,
            taker_fee=self._fee_rate,
            maker_fee=self._maker_fee_rate,
            slippage_bps=self._slippage_bps,
        )
        after, _ = await self._save_fill(order, fill)
        return after

    async def _create(self, command: PlaceOrder, refusal: str | None = None) -> Order:
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
        reason = refusal or _refusal(order)
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
            after, saved = await self._save_fill(order, fill, attempts=1)
            if saved:
                return after, True
            order = after
        raise RetryableError(f"order {order.client_order_id} kept changing while filling")

    async def _save_fill(
        self, order: Order, fill: Fill, *, attempts: int = _FILL_ATTEMPTS
    ) -> tuple[Order, bool]:
        # Commit one fill with its events; on a conflict, return the order as it now is.
        for _ in range(attempts):
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
            if not order.is_open:
                return order, False
        return order, False


def _refusal(order: Order) -> str | None:
    if order.mode is not TradingMode.PAPER:
        return "live trading is not enabled on this execution service"
    return paper_matching.unsupported_reason(order)
