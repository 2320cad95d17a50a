from crypto_trader.contracts.portfolio.v1 import portfolio_pb2 as _portfolio_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPositionsRequest(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: str
    def __init__(self, account: _Optional[str] = ...) -> None: ...

class GetPositionsResponse(_message.Message):
    __slots__ = ("positions",)
    POSITIONS_FIELD_NUMBER: _ClassVar[int]
    positions: _containers.RepeatedCompositeFieldContainer[_portfolio_pb2.Position]
    def __init__(self, positions: _Optional[_Iterable[_Union[_portfolio_pb2.Position, _Mapping]]] = ...) -> None: ...

class GetBalancesRequest(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: str
    def __init__(self, account: _Optional[str] = ...) -> None: ...

class GetBalancesResponse(_message.Message):
    __slots__ = ("balances",)
    BALANCES_FIELD_NUMBER: _ClassVar[int]
    balances: _containers.RepeatedCompositeFieldContainer[_portfolio_pb2.Balance]
    def __init__(self, balances: _Optional[_Iterable[_Union[_portfolio_pb2.Balance, _Mapping]]] = ...) -> None: ...

class GetEquityRequest(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: str
    def __init__(self, account: _Optional[str] = ...) -> None: ...

class GetEquityResponse(_message.Message):
    __slots__ = ("equity",)
    EQUITY_FIELD_NUMBER: _ClassVar[int]
    equity: _portfolio_pb2.Equity
    def __init__(self, equity: _Optional[_Union[_portfolio_pb2.Equity, _Mapping]] = ...) -> None: ...

class ListJournalRequest(_message.Message):
    __slots__ = ("account", "kind", "limit")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    account: str
    kind: str
    limit: int
    def __init__(self, account: _Optional[str] = ..., kind: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListJournalResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_portfolio_pb2.JournalEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[_portfolio_pb2.JournalEntry, _Mapping]]] = ...) -> None: ...
