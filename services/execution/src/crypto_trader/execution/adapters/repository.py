"""SQLAlchemy store of orders, fills and the outbox; each change commits with its events."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from crypto_trader.common.codec import side_to_proto
from crypto_trader.common.model import Side, decimal_str
from crypto_trader.common.protective_exit import ExitHints
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.execution.adapters import codec
from crypto_trader.execution.adapters.tables import (
    execution_fills,
    execution_orders,
    execution_outbox,
    execution_protections,
)
from crypto_trader.execution.domain.events import ExecutionEvent, OrderFilled
from crypto_trader.execution.domain.order import (
    OPEN_STATUSES,
    Fill,
    Order,
    OrderStatus,
    OrderType,
    TradingMode,
)
from crypto_trader.execution.domain.protection import EntryProtection, ProtectionStatus
from crypto_trader.execution.ports import OutboxMessage


class _Conflict(Exception):
    """The stored order moved on since it was read; roll the transaction back."""


class SqlAlchemyOrderStore:
    """Orders, fills and outbox in one database (PostgreSQL or SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def get(self, client_order_id: str) -> Order | None:
        """Return the order with this client order id, or None."""
        return await asyncio.to_thread(self._get, client_order_id)

    async def add(self, order: Order, events: Sequence[ExecutionEvent]) -> bool:
        """Commit a new order with its events; return False when its client order id exists."""
        return await asyncio.to_thread(self._add, order, events)

    async def save_fill(
        self, before: Order, after: Order, fill: Fill, events: Sequence[ExecutionEvent]
    ) -> bool:
        """Commit a fill, the new order state and the events, unless another writer was first."""
        return await asyncio.to_thread(self._save_fill, before, after, fill, events)

    async def open_orders(
        self, exchange: str, symbol: str, timeframe: str, *, not_before_below_ms: int
    ) -> list[Order]:
        """Return the open orders of a market whose ``not_before_ms`` is below the given time."""
        return await asyncio.to_thread(
            self._open_orders, exchange, symbol, timeframe, not_before_below_ms
        )

    async def unsent(self, limit: int) -> list[OutboxMessage]:
        """Return up to ``limit`` unpublished events in commit order."""
        return await asyncio.to_thread(self._unsent, limit)

    async def mark_sent(self, event_id: str, sent_ms: int) -> None:
        """Record that the event reached the bus."""
        await asyncio.to_thread(self._mark_sent, event_id, sent_ms)

    async def list_orders(self, account: str, limit: int) -> list[Order]:
        """Return the account's orders, newest first."""
        return await asyncio.to_thread(self._list_orders, account, limit)

    async def list_fills(self, account: str, limit: int) -> list[orders_pb2.OrderFilled]:
        """Return the account's fills as the events that announced them, newest first."""
        return await asyncio.to_thread(self._list_fills, account, limit)

    async def add_protection(self, protection: EntryProtection) -> bool:
        """Store an entry's protection; return False when the entry already has one."""
        return await asyncio.to_thread(self._add_protection, protection)

    async def get_protection(self, entry_client_order_id: str) -> EntryProtection | None:
        """Return the protection of an entry order, or None."""
        return await asyncio.to_thread(self._get_protection, entry_client_order_id)

    async def save_protection(self, before: EntryProtection, after: EntryProtection) -> bool:
        """Store a new state; return False when the stored one is no longer ``before``."""
        return await asyncio.to_thread(self._save_protection, before, after)

    async def watching_protections(
        self, exchange: str, symbol: str, timeframe: str
    ) -> list[EntryProtection]:
        """Return the market's active protections, oldest first."""
        return await asyncio.to_thread(
            self._select_protections,
            execution_protections.c.exchange == exchange,
            execution_protections.c.symbol == symbol,
            execution_protections.c.timeframe == timeframe,
            execution_protections.c.status == str(ProtectionStatus.ACTIVE),
        )

    async def protections_of(
        self, account: str, exchange: str, symbol: str
    ) -> list[EntryProtection]:
        """Return an account's protections in a market, oldest first."""
        return await asyncio.to_thread(
            self._select_protections,
            execution_protections.c.account == account,
            execution_protections.c.exchange == exchange,
            execution_protections.c.symbol == symbol,
        )

    def _add_protection(self, protection: EntryProtection) -> bool:
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(execution_protections).values(**_protection_values(protection))
                )
        except IntegrityError:
            return False
        return True

    def _get_protection(self, entry_client_order_id: str) -> EntryProtection | None:
        found = self._select_protections(
            execution_protections.c.entry_client_order_id == entry_client_order_id
        )
        return found[0] if found else None

    def _save_protection(self, before: EntryProtection, after: EntryProtection) -> bool:
        with self._engine.begin() as connection:
            result = connection.execute(
                update(execution_protections)
                .where(
                    execution_protections.c.entry_client_order_id == before.entry_client_order_id,
                    execution_protections.c.version == before.version,
                )
                .values(**_protection_values(after))
            )
        return bool(result.rowcount == 1)

    def _select_protections(self, *conditions: Any) -> list[EntryProtection]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(execution_protections)
                .where(*conditions)
                .order_by(
                    execution_protections.c.created_ms,
                    execution_protections.c.entry_client_order_id,
                )
            ).all()
        return [_protection_from_row(row) for row in rows]

    def _get(self, client_order_id: str) -> Order | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(execution_orders).where(
                    execution_orders.c.client_order_id == client_order_id
                )
            ).first()
            if row is None:
                return None
            return _with_trades(connection, [row])[0]

    def _add(self, order: Order, events: Sequence[ExecutionEvent]) -> bool:
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(execution_orders).values(**_order_values(order)))
                _write_outbox(connection, events, order.created_ms)
        except IntegrityError:
            return False
        return True

    def _save_fill(
        self, before: Order, after: Order, fill: Fill, events: Sequence[ExecutionEvent]
    ) -> bool:
        try:
            with self._engine.begin() as connection:
                result = connection.execute(
                    update(execution_orders)
                    .where(
                        execution_orders.c.client_order_id == before.client_order_id,
                        execution_orders.c.version == before.version,
                    )
                    .values(**_state_values(after))
                )
                if result.rowcount != 1:
                    raise _Conflict
                connection.execute(
                    insert(execution_fills).values(**_fill_values(after, fill, events))
                )
                _write_outbox(connection, events, after.updated_ms)
        except (_Conflict, IntegrityError):
            return False
        return True

    def _open_orders(
        self, exchange: str, symbol: str, timeframe: str, not_before_below_ms: int
    ) -> list[Order]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(execution_orders)
                .where(
                    execution_orders.c.exchange == exchange,
                    execution_orders.c.symbol == symbol,
                    execution_orders.c.timeframe == timeframe,
                    execution_orders.c.status.in_([str(status) for status in OPEN_STATUSES]),
                    execution_orders.c.not_before_ms < not_before_below_ms,
                )
                .order_by(execution_orders.c.id)
            ).all()
            return _with_trades(connection, rows)

    def _unsent(self, limit: int) -> list[OutboxMessage]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(execution_outbox)
                .where(execution_outbox.c.sent_ms.is_(None))
                .order_by(execution_outbox.c.id)
                .limit(limit)
            ).all()
        return [
            OutboxMessage(
                event_id=row.event_id,
                account=row.account,
                symbol=row.symbol,
                type_name=row.type_name,
                payload=bytes(row.payload),
            )
            for row in rows
        ]

    def _mark_sent(self, event_id: str, sent_ms: int) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(execution_outbox)
                .where(
                    execution_outbox.c.event_id == event_id, execution_outbox.c.sent_ms.is_(None)
                )
                .values(sent_ms=sent_ms)
            )

    def _list_orders(self, account: str, limit: int) -> list[Order]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(execution_orders)
                .where(execution_orders.c.account == account)
                .order_by(execution_orders.c.created_ms.desc(), execution_orders.c.id.desc())
                .limit(limit)
            ).all()
            return _with_trades(connection, rows)

    def _list_fills(self, account: str, limit: int) -> list[orders_pb2.OrderFilled]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(execution_fills)
                .where(execution_fills.c.account == account)
                .order_by(execution_fills.c.id.desc())
                .limit(limit)
            ).all()
        return [_fill_to_proto(row) for row in rows]


def _order_values(order: Order) -> dict[str, Any]:
    return {
        "client_order_id": order.client_order_id,
        "intent_id": order.intent_id,
        "account": order.account,
        "exchange": order.exchange,
        "symbol": order.symbol,
        "timeframe": order.timeframe,
        "side": str(order.side),
        "order_type": str(order.order_type),
        "mode": str(order.mode),
        "quantity": order.quantity,
        "not_before_ms": order.not_before_ms,
        "created_ms": order.created_ms,
        "exit_reason": order.exit_reason,
        "protected_client_order_id": order.protected_client_order_id,
        **_state_values(order),
    }


def _state_values(order: Order) -> dict[str, Any]:
    return {
        "venue_order_id": order.venue_order_id,
        "status": str(order.status),
        "filled_quantity": order.filled_quantity,
        "filled_notional": order.filled_notional,
        "fees": order.fees,
        "reason": order.reason[:500],
        "updated_ms": order.updated_ms,
        "version": order.version,
    }


def _fill_values(order: Order, fill: Fill, events: Sequence[ExecutionEvent]) -> dict[str, Any]:
    # The fill row keeps the id and timestamps of the OrderFilled event, so ListFills answers with
    # exactly what was published.
    announced = next(
        event
        for event in events
        if isinstance(event, OrderFilled) and event.fill.trade_id == fill.trade_id
    )
    return {
        "event_id": announced.event_id,
        "exchange": order.exchange,
        "account": order.account,
        "trade_id": fill.trade_id,
        "client_order_id": order.client_order_id,
        "venue_order_id": order.venue_order_id,
        "symbol": order.symbol,
        "side": str(order.side),
        "quantity": fill.quantity,
        "price": fill.price,
        "fee": fill.fee,
        "fee_currency": fill.fee_currency,
        "maker": fill.maker,
        "mode": str(order.mode),
        "ts_event": announced.ts_event,
        "ts_init": announced.ts_init,
    }


def _write_outbox(
    connection: Connection, events: Iterable[ExecutionEvent], created_ms: int
) -> None:
    for event in events:
        message = codec.to_outbox(event)
        connection.execute(
            insert(execution_outbox).values(
                event_id=message.event_id,
                account=message.account,
                symbol=message.symbol,
                type_name=message.type_name,
                payload=message.payload,
                created_ms=created_ms,
                sent_ms=None,
            )
        )


def _with_trades(connection: Connection, rows: Sequence[Row[Any]]) -> list[Order]:
    if not rows:
        return []
    trades: dict[str, set[str]] = {row.client_order_id: set() for row in rows}
    for client_order_id, trade_id in connection.execute(
        select(execution_fills.c.client_order_id, execution_fills.c.trade_id).where(
            execution_fills.c.client_order_id.in_(list(trades))
        )
    ):
        trades[client_order_id].add(trade_id)
    return [_order_from_row(row, frozenset(trades[row.client_order_id])) for row in rows]


def _order_from_row(row: Row[Any], trade_ids: frozenset[str]) -> Order:
    return Order(
        client_order_id=row.client_order_id,
        account=row.account,
        exchange=row.exchange,
        symbol=row.symbol,
        side=Side(row.side),
        order_type=OrderType(row.order_type),
        quantity=row.quantity,
        mode=TradingMode(row.mode),
        timeframe=row.timeframe,
        not_before_ms=row.not_before_ms,
        created_ms=row.created_ms,
        intent_id=row.intent_id,
        status=OrderStatus(row.status),
        venue_order_id=row.venue_order_id,
        filled_quantity=row.filled_quantity,
        filled_notional=row.filled_notional,
        fees=row.fees,
        reason=row.reason,
        updated_ms=row.updated_ms,
        trade_ids=trade_ids,
        version=row.version,
        exit_reason=row.exit_reason,
        protected_client_order_id=row.protected_client_order_id,
    )


def _protection_values(protection: EntryProtection) -> dict[str, Any]:
    return {
        "entry_client_order_id": protection.entry_client_order_id,
        "account": protection.account,
        "exchange": protection.exchange,
        "symbol": protection.symbol,
        "timeframe": protection.timeframe,
        "side": str(protection.side),
        "reference_price": protection.reference_price,
        "stop_loss": protection.hints.stop_loss,
        "take_profit": protection.hints.take_profit,
        "trailing_stop": protection.hints.trailing_stop,
        "status": str(protection.status),
        "quantity": protection.quantity,
        "extreme": protection.extreme,
        "checked_through_ms": protection.checked_through_ms,
        "exit_reason": protection.exit_reason,
        "created_ms": protection.created_ms,
        "updated_ms": protection.updated_ms,
        "version": protection.version,
    }


def _protection_from_row(row: Row[Any]) -> EntryProtection:
    return EntryProtection(
        entry_client_order_id=row.entry_client_order_id,
        account=row.account,
        exchange=row.exchange,
        symbol=row.symbol,
        timeframe=row.timeframe,
        side=Side(row.side),
        reference_price=row.reference_price,
        hints=ExitHints(row.stop_loss, row.take_profit, row.trailing_stop),
        created_ms=row.created_ms,
        status=ProtectionStatus(row.status),
        quantity=row.quantity,
        extreme=row.extreme,
        checked_through_ms=row.checked_through_ms,
        exit_reason=row.exit_reason,
        updated_ms=row.updated_ms,
        version=row.version,
    )


def _fill_to_proto(row: Row[Any]) -> orders_pb2.OrderFilled:
    return orders_pb2.OrderFilled(
        event_id=row.event_id,
        ts_event=row.ts_event,
        ts_init=row.ts_init,
        trade_id=row.trade_id,
        client_order_id=row.client_order_id,
        venue_order_id=row.venue_order_id,
        account=row.account,
        exchange=row.exchange,
        symbol=row.symbol,
        side=side_to_proto(Side(row.side)),
        quantity=decimal_str(row.quantity),
        price=decimal_str(row.price),
        fee=decimal_str(row.fee),
        fee_currency=row.fee_currency,
        maker=row.maker,
        mode=codec.mode_to_proto(TradingMode(row.mode)),
    )
