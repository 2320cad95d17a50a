"""The one mapping between shared value types and proto messages (decimals travel as strings)."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.common.errors import InvalidInput, InvalidMessage
from crypto_trader.common.model import Candle, Side, decimal_str, to_decimal
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.marketdata.v1 import market_data_pb2


def decimal_from_wire(value: str, *, field: str) -> Decimal:
    """Parse a decimal string from a message, raising InvalidMessage when it is malformed."""
    try:
        return to_decimal(value, field=field)
    except InvalidInput as error:
        raise InvalidMessage(str(error)) from None


def optional_decimal_from_wire(value: str, *, field: str) -> Decimal | None:
    """Parse an optional decimal string: the empty string means absent."""
    return None if value == "" else decimal_from_wire(value, field=field)


def side_to_proto(side: Side) -> int:
    """Map a Side to its proto enum."""
    return common_pb2.SIDE_BUY if side is Side.BUY else common_pb2.SIDE_SELL


def side_from_proto(value: int) -> Side:
    """Map a proto side to a Side, refusing the unspecified value."""
    if value == common_pb2.SIDE_BUY:
        return Side.BUY
    if value == common_pb2.SIDE_SELL:
        return Side.SELL
    raise InvalidMessage("side is unspecified")


def candle_to_proto(candle: Candle) -> market_data_pb2.Candle:
    """Encode a candle."""
    return market_data_pb2.Candle(
        exchange=candle.exchange,
        symbol=candle.symbol,
        timeframe=candle.timeframe,
        open_time_ms=candle.open_time_ms,
        close_time_ms=candle.close_time_ms,
        open=decimal_str(candle.open),
        high=decimal_str(candle.high),
        low=decimal_str(candle.low),
        close=decimal_str(candle.close),
        volume=decimal_str(candle.volume),
        closed=candle.closed,
        synthetic=candle.synthetic,
    )


def candle_from_proto(message: market_data_pb2.Candle) -> Candle:
    """Decode and validate a candle."""
    try:
        return Candle(
            exchange=message.exchange,
            symbol=message.symbol,
            timeframe=message.timeframe,
            open_time_ms=message.open_time_ms,
            open=decimal_from_wire(message.open, field="open"),
            high=decimal_from_wire(message.high, field="high"),
            low=decimal_from_wire(message.low, field="low"),
            close=decimal_from_wire(message.close, field="close"),
            volume=decimal_from_wire(message.volume, field="volume"),
            closed=message.closed,
            synthetic=message.synthetic,
        )
    except InvalidMessage:
        raise
    except InvalidInput as error:
        raise InvalidMessage(str(error)) from None
