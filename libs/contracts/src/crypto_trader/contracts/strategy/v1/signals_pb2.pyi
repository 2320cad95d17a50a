from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SignalAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNAL_ACTION_UNSPECIFIED: _ClassVar[SignalAction]
    SIGNAL_ACTION_ENTER_LONG: _ClassVar[SignalAction]
    SIGNAL_ACTION_EXIT_LONG: _ClassVar[SignalAction]
    SIGNAL_ACTION_ENTER_SHORT: _ClassVar[SignalAction]
    SIGNAL_ACTION_EXIT_SHORT: _ClassVar[SignalAction]
SIGNAL_ACTION_UNSPECIFIED: SignalAction
SIGNAL_ACTION_ENTER_LONG: SignalAction
SIGNAL_ACTION_EXIT_LONG: SignalAction
SIGNAL_ACTION_ENTER_SHORT: SignalAction
SIGNAL_ACTION_EXIT_SHORT: SignalAction

class SignalGenerated(_message.Message):
    __slots__ = ("event_id", "ts_event", "ts_init", "instance_id", "strategy", "account", "exchange", "symbol", "timeframe", "action", "reference_price", "candle_open_time_ms", "stop_loss", "take_profit", "trailing_stop")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    TS_INIT_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_PRICE_FIELD_NUMBER: _ClassVar[int]
    CANDLE_OPEN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    STOP_LOSS_FIELD_NUMBER: _ClassVar[int]
    TAKE_PROFIT_FIELD_NUMBER: _ClassVar[int]
    TRAILING_STOP_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    ts_event: int
    ts_init: int
    instance_id: str
    strategy: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    action: SignalAction
    reference_price: str
    candle_open_time_ms: int
    stop_loss: str
    take_profit: str
    trailing_stop: str
    def __init__(self, event_id: _Optional[str] = ..., ts_event: _Optional[int] = ..., ts_init: _Optional[int] = ..., instance_id: _Optional[str] = ..., strategy: _Optional[str] = ..., account: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[str] = ..., action: _Optional[_Union[SignalAction, str]] = ..., reference_price: _Optional[str] = ..., candle_open_time_ms: _Optional[int] = ..., stop_loss: _Optional[str] = ..., take_profit: _Optional[str] = ..., trailing_stop: _Optional[str] = ...) -> None: ...
