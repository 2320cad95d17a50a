from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StrategyLoadStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STRATEGY_LOAD_STATUS_UNSPECIFIED: _ClassVar[StrategyLoadStatus]
    STRATEGY_LOAD_STATUS_OK: _ClassVar[StrategyLoadStatus]
    STRATEGY_LOAD_STATUS_FAILED: _ClassVar[StrategyLoadStatus]

class ScheduleState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCHEDULE_STATE_UNSPECIFIED: _ClassVar[ScheduleState]
    SCHEDULE_STATE_ACTIVE: _ClassVar[ScheduleState]
    SCHEDULE_STATE_OUTSIDE_HOURS: _ClassVar[ScheduleState]
    SCHEDULE_STATE_OUTSIDE_DAYS: _ClassVar[ScheduleState]
    SCHEDULE_STATE_NOT_STARTED: _ClassVar[ScheduleState]
    SCHEDULE_STATE_ENDED: _ClassVar[ScheduleState]
    SCHEDULE_STATE_DAILY_LIMIT_REACHED: _ClassVar[ScheduleState]
STRATEGY_LOAD_STATUS_UNSPECIFIED: StrategyLoadStatus
STRATEGY_LOAD_STATUS_OK: StrategyLoadStatus
STRATEGY_LOAD_STATUS_FAILED: StrategyLoadStatus
SCHEDULE_STATE_UNSPECIFIED: ScheduleState
SCHEDULE_STATE_ACTIVE: ScheduleState
SCHEDULE_STATE_OUTSIDE_HOURS: ScheduleState
SCHEDULE_STATE_OUTSIDE_DAYS: ScheduleState
SCHEDULE_STATE_NOT_STARTED: ScheduleState
SCHEDULE_STATE_ENDED: ScheduleState
SCHEDULE_STATE_DAILY_LIMIT_REACHED: ScheduleState

class StrategyParameter(_message.Message):
    __slots__ = ("name", "kind", "default", "minimum", "maximum", "description", "choices")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHOICES_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    default: str
    minimum: str
    maximum: str
    description: str
    choices: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., default: _Optional[str] = ..., minimum: _Optional[str] = ..., maximum: _Optional[str] = ..., description: _Optional[str] = ..., choices: _Optional[_Iterable[str]] = ...) -> None: ...

class StrategyDescription(_message.Message):
    __slots__ = ("name", "description", "parameters", "status", "error", "source", "informative_timeframes", "warmup_candles")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INFORMATIVE_TIMEFRAMES_FIELD_NUMBER: _ClassVar[int]
    WARMUP_CANDLES_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    parameters: _containers.RepeatedCompositeFieldContainer[StrategyParameter]
    status: StrategyLoadStatus
    error: str
    source: str
    informative_timeframes: _containers.RepeatedScalarFieldContainer[str]
    warmup_candles: int
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Iterable[_Union[StrategyParameter, _Mapping]]] = ..., status: _Optional[_Union[StrategyLoadStatus, str]] = ..., error: _Optional[str] = ..., source: _Optional[str] = ..., informative_timeframes: _Optional[_Iterable[str]] = ..., warmup_candles: _Optional[int] = ...) -> None: ...

class InstanceSchedule(_message.Message):
    __slots__ = ("active_hours_start", "active_hours_end", "active_days", "start_ms", "stop_ms", "max_entries_per_day")
    ACTIVE_HOURS_START_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_HOURS_END_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_DAYS_FIELD_NUMBER: _ClassVar[int]
    START_MS_FIELD_NUMBER: _ClassVar[int]
    STOP_MS_FIELD_NUMBER: _ClassVar[int]
    MAX_ENTRIES_PER_DAY_FIELD_NUMBER: _ClassVar[int]
    active_hours_start: int
    active_hours_end: int
    active_days: _containers.RepeatedScalarFieldContainer[str]
    start_ms: int
    stop_ms: int
    max_entries_per_day: int
    def __init__(self, active_hours_start: _Optional[int] = ..., active_hours_end: _Optional[int] = ..., active_days: _Optional[_Iterable[str]] = ..., start_ms: _Optional[int] = ..., stop_ms: _Optional[int] = ..., max_entries_per_day: _Optional[int] = ...) -> None: ...

class StrategyInstance(_message.Message):
    __slots__ = ("instance_id", "strategy", "account", "exchange", "symbol", "timeframe", "parameters", "running", "candles_seen", "signals_emitted", "last_candle_open_time_ms", "schedule", "schedule_state", "schedule_checked_at_ms", "entries_today")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    STRATEGY_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    SYMBOL_FIELD_NUMBER: _ClassVar[int]
    TIMEFRAME_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RUNNING_FIELD_NUMBER: _ClassVar[int]
    CANDLES_SEEN_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_EMITTED_FIELD_NUMBER: _ClassVar[int]
    LAST_CANDLE_OPEN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_STATE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_CHECKED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_TODAY_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    strategy: str
    account: str
    exchange: str
    symbol: str
    timeframe: str
    parameters: _containers.ScalarMap[str, str]
    running: bool
    candles_seen: int
    signals_emitted: int
    last_candle_open_time_ms: int
    schedule: InstanceSchedule
    schedule_state: ScheduleState
    schedule_checked_at_ms: int
    entries_today: int
    def __init__(self, instance_id: _Optional[str] = ..., strategy: _Optional[str] = ..., account: _Optional[str] = ..., exchange: _Optional[str] = ..., symbol: _Optional[str] = ..., timeframe: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., running: _Optional[bool] = ..., candles_seen: _Optional[int] = ..., signals_emitted: _Optional[int] = ..., last_candle_open_time_ms: _Optional[int] = ..., schedule: _Optional[_Union[InstanceSchedule, _Mapping]] = ..., schedule_state: _Optional[_Union[ScheduleState, str]] = ..., schedule_checked_at_ms: _Optional[int] = ..., entries_today: _Optional[int] = ...) -> None: ...

class ListStrategiesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListStrategiesResponse(_message.Message):
    __slots__ = ("strategies",)
    STRATEGIES_FIELD_NUMBER: _ClassVar[int]
    strategies: _containers.RepeatedCompositeFieldContainer[StrategyDescription]
    def __init__(self, strategies: _Optional[_Iterable[_Union[StrategyDescription, _Mapping]]] = ...) -> None: ...

class ListInstancesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListInstancesResponse(_message.Message):
    __slots__ = ("instances",)
    INSTANCES_FIELD_NUMBER: _ClassVar[int]
    instances: _containers.RepeatedCompositeFieldContainer[StrategyInstance]
    def __init__(self, instances: _Optional[_Iterable[_Union[StrategyInstance, _Mapping]]] = ...) -> None: ...

class GetInstanceRequest(_message.Message):
    __slots__ = ("instance_id",)
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    instance_id: str
    def __init__(self, instance_id: _Optional[str] = ...) -> None: ...

class GetInstanceResponse(_message.Message):
    __slots__ = ("instance",)
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    instance: StrategyInstance
    def __init__(self, instance: _Optional[_Union[StrategyInstance, _Mapping]] = ...) -> None: ...
