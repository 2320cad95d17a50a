from crypto_trader.contracts.marketdata.v1 import market_data_pb2 as _market_data_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListExchangesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListExchangesResponse(_message.Message):
    __slots__ = ("exchanges",)
    EXCHANGES_FIELD_NUMBER: _ClassVar[int]
    exchanges: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, exchanges: _Optional[_Iterable[str]] = ...) -> None: ...

class ListSymbolsRequest(_message.Message):
    __slots__ = ("exchange",)
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    def __init__(self, exchange: _Optional[str] = ...) -> None: ...

class SymbolCoverage(_message.Message):
    __slots__ = ("exchange", "symbol", "timeframe", "first_open_time_ms", "last_open_time_ms", "candle_count", "synthetic")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    FIRST_OPEN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    LAST_OPEN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    CANDLE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    timeframe: str
    first_open_time_ms: int
    last_open_time_ms: int
    candle_count: int
    synthetic: bool
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[str] = ..., first_open_time_ms: _Optional[int] = ..., last_open_time_ms: _Optional[int] = ..., candle_count: _Optional[int] = ..., synthetic: _Optional[bool] = ...) -> None: ...

class ListSymbolsResponse(_message.Message):
    __slots__ = ("symbols",)
    SYMBOLS_FIELD_NUMBER: _ClassVar[int]
    symbols: _containers.RepeatedCompositeFieldContainer[SymbolCoverage]
    def __init__(self, symbols: _Optional[_Iterable[_Union[SymbolCoverage, _Mapping]]] = ...) -> None: ...

class GetCandlesRequest(_message.Message):
    __slots__ = ("exchange", "symbol", "timeframe", "start_ms", "end_ms", "limit", "from_end")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    END_MS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    FROM_END_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    timeframe: str
    start_ms: int
    end_ms: int
    limit: int
    from_end: bool
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[str] = ..., start_ms: _Optional[int] = ..., end_ms: _Optional[int] = ..., limit: _Optional[int] = ..., from_end: _Optional[bool] = ...) -> None: ...

class GetCandlesResponse(_message.Message):
    __slots__ = ("candles",)
    CANDLES_FIELD_NUMBER: _ClassVar[int]
    candles: _containers.RepeatedCompositeFieldContainer[_market_data_pb2.Candle]
    def __init__(self, candles: _Optional[_Iterable[_Union[_market_data_pb2.Candle, _Mapping]]] = ...) -> None: ...

class StreamCandlesRequest(_message.Message):
    __slots__ = ("exchange", "symbol", "timeframe")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    timeframe: str
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[str] = ...) -> None: ...

class StreamCandlesResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _market_data_pb2.CandleClosed
    def __init__(self, event: _Optional[_Union[_market_data_pb2.CandleClosed, _Mapping]] = ...) -> None: ...

class GetTickerRequest(_message.Message):
    __slots__ = ("exchange", "symbol")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ...) -> None: ...

class GetTickerResponse(_message.Message):
    __slots__ = ("exchange", "symbol", "last", "ts_ms")
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    TS_MS_FIELD_NUMBER: _ClassVar[int]
    exchange: str
    symbol: str
    last: str
    ts_ms: int
    def __init__(self, exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., last: _Optional[str] = ..., ts_ms: _Optional[int] = ...) -> None: ...

class GetReplayStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetReplayStatusResponse(_message.Message):
    __slots__ = ("source", "synthetic", "published", "total", "finished", "last_open_time_ms")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SYNTHETIC_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    LAST_OPEN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    source: str
    synthetic: bool
    published: int
    total: int
    finished: bool
    last_open_time_ms: int
    def __init__(self, source: _Optional[str] = ..., synthetic: _Optional[bool] = ..., published: _Optional[int] = ..., total: _Optional[int] = ..., finished: _Optional[bool] = ..., last_open_time_ms: _Optional[int] = ...) -> None: ...
