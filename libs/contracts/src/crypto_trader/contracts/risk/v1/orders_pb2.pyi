from crypto_trader.contracts.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_TYPE_UNSPECIFIED: _ClassVar[OrderType]
    ORDER_TYPE_MARKET: _ClassVar[OrderType]
    ORDER_TYPE_LIMIT: _ClassVar[OrderType]
ORDER_TYPE_UNSPECIFIED: OrderType
ORDER_TYPE_MARKET: OrderType
ORDER_TYPE_LIMIT: OrderType

class OrderIntentApproved(_message.Message):
    __slots__ = ("event_id", "ts_event", "ts_init", "intent_id", "client_order_id", "account", "exchange", "symbol", "side", "order_type", "quantity", "limit_price", "reference_price", "signal_id", "not_before_ms", "mode", "timeframe", "stop_loss", "take_profit", "trailing_stop", "reduce_only")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    TS_INIT_FIELD_NUMBER: _ClassVar[int]
    INTENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    SIDE_FIELD_NUMBER: _ClassVar[int]
    ORDER_TYPE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PRICE_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    NOT_BEFORE_MS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    STOP_LOSS_FIELD_NUMBER: _ClassVar[int]
    TAKE_PROFIT_FIELD_NUMBER: _ClassVar[int]
    TRAILING_STOP_FIELD_NUMBER: _ClassVar[int]
    REDUCE_ONLY_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    ts_event: int
    ts_init: int
    intent_id: str
    client_order_id: str
    account: str
    exchange: str
    symbol: str
    side: _common_pb2.Side
    order_type: OrderType
    quantity: str
    limit_price: str
    reference_price: str
    signal_id: str
    not_before_ms: int
    mode: _common_pb2.TradingMode
    timeframe: str
    stop_loss: str
    take_profit: str
    trailing_stop: str
    reduce_only: bool
    def __init__(self, event_id: _Optional[str] = ..., ts_event: _Optional[int] = ..., ts_init: _Optional[int] = ..., intent_id: _Optional[str] = ..., client_order_id: _Optional[str] = ..., account: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., side: _Optional[_Union[_common_pb2.Side, str]] = ..., order_type: _Optional[_Union[OrderType, str]] = ..., quantity: _Optional[str] = ..., limit_price: _Optional[str] = ..., reference_price: _Optional[str] = ..., signal_id: _Optional[str] = ..., not_before_ms: _Optional[int] = ..., mode: _Optional[_Union[_common_pb2.TradingMode, str]] = ..., timeframe: _Optional[str] = ..., stop_loss: _Optional[str] = ..., take_profit: _Optional[str] = ..., trailing_stop: _Optional[str] = ..., reduce_only: _Optional[bool] = ...) -> None: ...

class OrderIntentRejected(_message.Message):
    __slots__ = ("event_id", "ts_event", "ts_init", "signal_id", "account", "exchange", "symbol", "reason")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    TS_INIT_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    ts_event: int
    ts_init: int
    signal_id: str
    account: str
    exchange: str
    symbol: str
    reason: str
    def __init__(self, event_id: _Optional[str] = ..., ts_event: _Optional[int] = ..., ts_init: _Optional[int] = ..., signal_id: _Optional[str] = ..., account: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
