"""JSON shapes of the API: decimals as strings, enums as short lower-case words, times as int ms.

Each ``*_from_proto`` function is the one mapping from a contract message to its JSON shape; REST
responses and WebSocket frames both use them, so a thing looks the same wherever it appears.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from pydantic import BaseModel, ConfigDict, PlainSerializer

from crypto_trader.common.codec import decimal_from_wire, optional_decimal_from_wire
from crypto_trader.common.model import decimal_str
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2, market_data_service_pb2
from crypto_trader.contracts.portfolio.v1 import portfolio_pb2
from crypto_trader.contracts.risk.v1 import orders_pb2 as risk_orders_pb2
from crypto_trader.contracts.strategy.v1 import signals_pb2, strategy_service_pb2

DecimalStr = Annotated[Decimal, PlainSerializer(decimal_str, return_type=str)]

SideWord = Literal["unspecified", "buy", "sell"]
ModeWord = Literal["unspecified", "paper", "live"]
OrderStatusWord = Literal[
    "unspecified",
    "pending_submit",
    "accepted",
    "partially_filled",
    "filled",
    "canceled",
    "rejected",
]
SignalActionWord = Literal["unspecified", "enter_long", "exit_long", "enter_short", "exit_short"]
ServiceHealthWord = Literal["serving", "not_serving", "unreachable"]

# Proto enum -> the prefix its value names carry (SIDE_BUY -> "buy").
ENUM_PREFIXES: dict[str, str] = {
    "Side": "SIDE_",
    "TradingMode": "TRADING_MODE_",
    "OrderStatus": "ORDER_STATUS_",
    "SignalAction": "SIGNAL_ACTION_",
}


def enum_word(enum: EnumTypeWrapper, value: int) -> str:
    """Return a proto enum value as a lower-case word; values unknown here read "unspecified"."""
    try:
        name = enum.Name(value)
    except ValueError:
        return "unspecified"
    return name.removeprefix(ENUM_PREFIXES[enum.DESCRIPTOR.name]).lower()


class Schema(BaseModel):
    """Base of every response shape: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- health -------------------------------------------------------------------------------------


class Health(Schema):
    """Whether every backend serves and the bus is connected."""

    status: Literal["ok", "degraded"]
    services: dict[str, ServiceHealthWord]
    nats: Literal["connected", "disconnected"]


# --- orders and fills ---------------------------------------------------------------------------


class Order(Schema):
    """An order and its execution state."""

    client_order_id: str
    venue_order_id: str
    account: str
    exchange: str
    symbol: str
    side: SideWord
    order_type: str
    quantity: DecimalStr
    filled_quantity: DecimalStr | None
    average_price: DecimalStr | None
    status: OrderStatusWord
    created_ms: int
    updated_ms: int
    reason: str
    mode: ModeWord


class OrderList(Schema):
    """The latest orders of an account."""

    orders: list[Order]


def order_from_proto(order: orders_pb2.Order) -> Order:
    """Map an execution order."""
    return Order(
        client_order_id=order.client_order_id,
        venue_order_id=order.venue_order_id,
        account=order.account,
        exchange=order.exchange,
        symbol=order.symbol,
        side=enum_word(common_pb2.Side, order.side),  # type: ignore[arg-type]
        order_type=order.order_type.lower(),
        quantity=decimal_from_wire(order.quantity, field="quantity"),
        filled_quantity=optional_decimal_from_wire(order.filled_quantity, field="filled_quantity"),
        average_price=optional_decimal_from_wire(order.average_price, field="average_price"),
        status=enum_word(orders_pb2.OrderStatus, order.status),  # type: ignore[arg-type]
        created_ms=order.created_ms,
        updated_ms=order.updated_ms,
        reason=order.reason,
        mode=enum_word(common_pb2.TradingMode, order.mode),  # type: ignore[arg-type]
    )


class Fill(Schema):
    """One execution of (part of) an order."""

    trade_id: str
    client_order_id: str
    account: str
    exchange: str
    symbol: str
    side: SideWord
    quantity: DecimalStr
    price: DecimalStr
    fee: DecimalStr | None
    fee_currency: str
    ts_event: int


class FillList(Schema):
    """The latest fills of an account."""

    fills: list[Fill]


def fill_from_proto(fill: orders_pb2.OrderFilled) -> Fill:
    """Map an execution fill."""
    return Fill(
        trade_id=fill.trade_id,
        client_order_id=fill.client_order_id,
        account=fill.account,
        exchange=fill.exchange,
        symbol=fill.symbol,
        side=enum_word(common_pb2.Side, fill.side),  # type: ignore[arg-type]
        quantity=decimal_from_wire(fill.quantity, field="quantity"),
        price=decimal_from_wire(fill.price, field="price"),
        fee=optional_decimal_from_wire(fill.fee, field="fee"),
        fee_currency=fill.fee_currency,
        ts_event=fill.ts_event,
    )


# --- portfolio ----------------------------------------------------------------------------------


class Position(Schema):
    """A position with its valuation; null prices mean not known yet."""

    account: str
    exchange: str
    symbol: str
    quantity: DecimalStr
    average_price: DecimalStr | None
    last_price: DecimalStr | None
    market_value: DecimalStr | None
    unrealised_pnl: DecimalStr | None
    realised_pnl: DecimalStr | None


class PositionList(Schema):
    """The positions of an account."""

    positions: list[Position]


def position_from_proto(position: portfolio_pb2.Position) -> Position:
    """Map a portfolio position."""
    return Position(
        account=position.account,
        exchange=position.exchange,
        symbol=position.symbol,
        quantity=decimal_from_wire(position.quantity, field="quantity"),
        average_price=optional_decimal_from_wire(position.average_price, field="average_price"),
        last_price=optional_decimal_from_wire(position.last_price, field="last_price"),
        market_value=optional_decimal_from_wire(position.market_value, field="market_value"),
        unrealised_pnl=optional_decimal_from_wire(position.unrealised_pnl, field="unrealised_pnl"),
        realised_pnl=optional_decimal_from_wire(position.realised_pnl, field="realised_pnl"),
    )


class Equity(Schema):
    """An account's cash, position value, PnL and fees."""

    account: str
    currency: str
    cash: DecimalStr | None
    positions_value: DecimalStr | None
    equity: DecimalStr | None
    realised_pnl: DecimalStr | None
    unrealised_pnl: DecimalStr | None
    fees_paid: DecimalStr | None
    fills_booked: int


def equity_from_proto(equity: portfolio_pb2.Equity) -> Equity:
    """Map an account's equity."""
    return Equity(
        account=equity.account,
        currency=equity.currency,
        cash=optional_decimal_from_wire(equity.cash, field="cash"),
        positions_value=optional_decimal_from_wire(equity.positions_value, field="positions_value"),
        equity=optional_decimal_from_wire(equity.equity, field="equity"),
        realised_pnl=optional_decimal_from_wire(equity.realised_pnl, field="realised_pnl"),
        unrealised_pnl=optional_decimal_from_wire(equity.unrealised_pnl, field="unrealised_pnl"),
        fees_paid=optional_decimal_from_wire(equity.fees_paid, field="fees_paid"),
        fills_booked=equity.fills_booked,
    )


# --- market data --------------------------------------------------------------------------------


class Candle(Schema):
    """One OHLCV candle."""

    exchange: str
    symbol: str
    timeframe: str
    open_time_ms: int
    open: DecimalStr
    high: DecimalStr
    low: DecimalStr
    close: DecimalStr
    volume: DecimalStr
    closed: bool
    synthetic: bool


class CandleList(Schema):
    """Candles oldest first; synthetic is true if any of them is generated data."""

    candles: list[Candle]
    synthetic: bool


def candle_from_proto(candle: market_data_pb2.Candle) -> Candle:
    """Map a candle."""
    return Candle(
        exchange=candle.exchange,
        symbol=candle.symbol,
        timeframe=candle.timeframe,
        open_time_ms=candle.open_time_ms,
        open=decimal_from_wire(candle.open, field="open"),
        high=decimal_from_wire(candle.high, field="high"),
        low=decimal_from_wire(candle.low, field="low"),
        close=decimal_from_wire(candle.close, field="close"),
        volume=decimal_from_wire(candle.volume, field="volume"),
        closed=candle.closed,
        synthetic=candle.synthetic,
    )


class ReplayStatus(Schema):
    """Progress of the market-data replay and whether its data is synthetic."""

    source: str
    synthetic: bool
    published: int
    total: int
    finished: bool
    last_open_time_ms: int


def replay_status_from_proto(
    status: market_data_service_pb2.GetReplayStatusResponse,
) -> ReplayStatus:
    """Map the market-data replay status."""
    return ReplayStatus(
        source=status.source,
        synthetic=status.synthetic,
        published=status.published,
        total=status.total,
        finished=status.finished,
        last_open_time_ms=status.last_open_time_ms,
    )


# --- strategies, signals, risk ------------------------------------------------------------------


class StrategyInstance(Schema):
    """A strategy instance and its counters."""

    instance_id: str
    strategy: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    parameters: dict[str, str]
    running: bool
    candles_seen: int
    signals_emitted: int
    last_candle_open_time_ms: int


class StrategyInstanceList(Schema):
    """Every strategy instance."""

    instances: list[StrategyInstance]


def instance_from_proto(instance: strategy_service_pb2.StrategyInstance) -> StrategyInstance:
    """Map a running strategy instance."""
    return StrategyInstance(
        instance_id=instance.instance_id,
        strategy=instance.strategy,
        account=instance.account,
        exchange=instance.exchange,
        symbol=instance.symbol,
        timeframe=instance.timeframe,
        parameters=dict(instance.parameters),
        running=instance.running,
        candles_seen=instance.candles_seen,
        signals_emitted=instance.signals_emitted,
        last_candle_open_time_ms=instance.last_candle_open_time_ms,
    )


class Signal(Schema):
    """A strategy's decision to enter or leave a position."""

    event_id: str
    instance_id: str
    strategy: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    action: SignalActionWord
    reference_price: DecimalStr | None
    candle_open_time_ms: int
    ts_event: int


def signal_from_proto(signal: signals_pb2.SignalGenerated) -> Signal:
    """Map a strategy signal."""
    return Signal(
        event_id=signal.event_id,
        instance_id=signal.instance_id,
        strategy=signal.strategy,
        account=signal.account,
        exchange=signal.exchange,
        symbol=signal.symbol,
        timeframe=signal.timeframe,
        action=enum_word(signals_pb2.SignalAction, signal.action),  # type: ignore[arg-type]
        reference_price=optional_decimal_from_wire(signal.reference_price, field="reference_price"),
        candle_open_time_ms=signal.candle_open_time_ms,
        ts_event=signal.ts_event,
    )


class Rejection(Schema):
    """Risk refused a signal; the reason names the limit."""

    event_id: str
    signal_id: str
    account: str
    exchange: str
    symbol: str
    reason: str
    ts_event: int


def rejection_from_proto(rejection: risk_orders_pb2.OrderIntentRejected) -> Rejection:
    """Map a risk rejection."""
    return Rejection(
        event_id=rejection.event_id,
        signal_id=rejection.signal_id,
        account=rejection.account,
        exchange=rejection.exchange,
        symbol=rejection.symbol,
        reason=rejection.reason,
        ts_event=rejection.ts_event,
    )


# --- WebSocket ----------------------------------------------------------------------------------


class Hello(Schema):
    """First WebSocket frame: who the stream is for and which frame types it carries."""

    account: str
    types: list[str]
    server_time_ms: int
    queue_size: int
