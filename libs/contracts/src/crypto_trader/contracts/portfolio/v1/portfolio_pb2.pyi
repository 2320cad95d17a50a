from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Position(_message.Message):
    __slots__ = ("account", "exchange", "symbol", "quantity", "average_price", "last_price", "market_value", "unrealised_pnl", "realised_pnl")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_PRICE_FIELD_NUMBER: _ClassVar[int]
    LAST_PRICE_FIELD_NUMBER: _ClassVar[int]
    MARKET_VALUE_FIELD_NUMBER: _ClassVar[int]
    UNREALISED_PNL_FIELD_NUMBER: _ClassVar[int]
    REALISED_PNL_FIELD_NUMBER: _ClassVar[int]
    account: str
    exchange: str
    symbol: str
    quantity: str
    average_price: str
    last_price: str
    market_value: str
    unrealised_pnl: str
    realised_pnl: str
    def __init__(self, account: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., quantity: _Optional[str] = ..., average_price: _Optional[str] = ..., last_price: _Optional[str] = ..., market_value: _Optional[str] = ..., unrealised_pnl: _Optional[str] = ..., realised_pnl: _Optional[str] = ...) -> None: ...

class Balance(_message.Message):
    __slots__ = ("account", "asset", "total")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    account: str
    asset: str
    total: str
    def __init__(self, account: _Optional[str] = ..., asset: _Optional[str] = ..., total: _Optional[str] = ...) -> None: ...

class Equity(_message.Message):
    __slots__ = ("account", "currency", "cash", "positions_value", "equity", "realised_pnl", "unrealised_pnl", "fees_paid", "fills_booked")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    CASH_FIELD_NUMBER: _ClassVar[int]
    POSITIONS_VALUE_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    REALISED_PNL_FIELD_NUMBER: _ClassVar[int]
    UNREALISED_PNL_FIELD_NUMBER: _ClassVar[int]
    FEES_PAID_FIELD_NUMBER: _ClassVar[int]
    FILLS_BOOKED_FIELD_NUMBER: _ClassVar[int]
    account: str
    currency: str
    cash: str
    positions_value: str
    equity: str
    realised_pnl: str
    unrealised_pnl: str
    fees_paid: str
    fills_booked: int
    def __init__(self, account: _Optional[str] = ..., currency: _Optional[str] = ..., cash: _Optional[str] = ..., positions_value: _Optional[str] = ..., equity: _Optional[str] = ..., realised_pnl: _Optional[str] = ..., unrealised_pnl: _Optional[str] = ..., fees_paid: _Optional[str] = ..., fills_booked: _Optional[int] = ...) -> None: ...

class PositionChanged(_message.Message):
    __slots__ = ("event_id", "ts_event", "ts_init", "position")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    TS_INIT_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    ts_event: int
    ts_init: int
    position: Position
    def __init__(self, event_id: _Optional[str] = ..., ts_event: _Optional[int] = ..., ts_init: _Optional[int] = ..., position: _Optional[_Union[Position, _Mapping]] = ...) -> None: ...

class EquityUpdated(_message.Message):
    __slots__ = ("event_id", "ts_event", "ts_init", "equity")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    TS_EVENT_FIELD_NUMBER: _ClassVar[int]
    TS_INIT_FIELD_NUMBER: _ClassVar[int]
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    ts_event: int
    ts_init: int
    equity: Equity
    def __init__(self, event_id: _Optional[str] = ..., ts_event: _Optional[int] = ..., ts_init: _Optional[int] = ..., equity: _Optional[_Union[Equity, _Mapping]] = ...) -> None: ...

class Posting(_message.Message):
    __slots__ = ("ledger_account", "asset", "amount")
    LEDGER_ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    ASSET_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    ledger_account: str
    asset: str
    amount: str
    def __init__(self, ledger_account: _Optional[str] = ..., asset: _Optional[str] = ..., amount: _Optional[str] = ...) -> None: ...

class JournalEntry(_message.Message):
    __slots__ = ("entry_id", "account", "kind", "source_id", "ts_ms", "postings")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    TS_MS_FIELD_NUMBER: _ClassVar[int]
    POSTINGS_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    account: str
    kind: str
    source_id: str
    ts_ms: int
    postings: _containers.RepeatedCompositeFieldContainer[Posting]
    def __init__(self, entry_id: _Optional[str] = ..., account: _Optional[str] = ..., kind: _Optional[str] = ..., source_id: _Optional[str] = ..., ts_ms: _Optional[int] = ..., postings: _Optional[_Iterable[_Union[Posting, _Mapping]]] = ...) -> None: ...
