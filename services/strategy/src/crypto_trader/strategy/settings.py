"""Settings of the strategy service (``CT_STRATEGY_*``).

``CT_STRATEGY_INSTANCES`` is a JSON list of instances, each::

    {"strategy": "rsi_mean_reversion", "exchange": "binance", "symbol": "ETH/USDT",
     "timeframe": "1h", "params": {"period": 14},
     "active_hours": [8, 20], "active_days": ["mon", "tue"], "start": "2026-01-01T00:00:00Z",
     "stop": null, "max_trades_per_day": 3}

Everything but ``strategy`` has a default (the platform's default market, no schedule). Replicas
split the instances by a stable hash of the instance id: replica ``CT_STRATEGY_REPLICA_INDEX`` of
``CT_STRATEGY_REPLICA_COUNT`` runs the instances whose id hash modulo the count is its index.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Timeframe, validate_symbol
from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, ServiceSettings
from crypto_trader.common.subjects import token
from crypto_trader.strategy.domain.instance import InstanceSpec
from crypto_trader.strategy.domain.registry import StrategyRegistry
from crypto_trader.strategy.domain.schedule import Schedule, parse_day

T = TypeVar("T")


def _ms(moment: datetime | None) -> int | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _checked(check: Callable[[], T]) -> T:
    # pydantic reports a ValueError as a validation error; InvalidInput is the platform's own.
    try:
        return check()
    except InvalidInput as error:
        raise ValueError(str(error)) from None


class InstanceConfig(BaseModel):
    """One configured instance: strategy, market, raw parameters and schedule."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str
    exchange: str = "binance"
    symbol: str = "BTC/USDT"
    timeframe: str = "5m"
    params: dict[str, Any] = Field(default_factory=dict)
    active_hours: tuple[int, int] | None = None
    active_days: list[str | int] = Field(default_factory=list)
    start: datetime | None = None
    stop: datetime | None = None
    max_trades_per_day: int | None = None

    @field_validator("exchange")
    @classmethod
    def _exchange_token(cls, value: str) -> str:
        return _checked(lambda: token(value))

    @field_validator("symbol")
    @classmethod
    def _unified_symbol(cls, value: str) -> str:
        return _checked(lambda: validate_symbol(value))

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, value: str) -> str:
        return _checked(lambda: Timeframe(value)).code

    @model_validator(mode="after")
    def _valid_schedule(self) -> InstanceConfig:
        _checked(self.schedule)
        return self

    def schedule(self) -> Schedule:
        """Return the instance's schedule (times without a zone are UTC)."""
        return Schedule(
            active_hours=self.active_hours,
            active_days=frozenset(parse_day(day) for day in self.active_days),
            start_ms=_ms(self.start),
            stop_ms=_ms(self.stop),
            max_trades_per_day=self.max_trades_per_day,
        )

    def spec(self, account: str, registry: StrategyRegistry) -> InstanceSpec:
        """Return the instance with its parameters validated against the strategy's schema.

        Raises
        ------
        InvalidInput
            When the strategy is unknown or failed to load, or a parameter is invalid.
        """
        params = registry.strategy_class(self.strategy).parse_params(self.params)
        return InstanceSpec.create(
            self.strategy,
            account,
            self.exchange,
            self.symbol,
            self.timeframe,
            params,
            self.schedule(),
        )


DEFAULT_INSTANCES = (InstanceConfig(strategy="sma_cross", params={"fast": 10, "slow": 30}),)


class StrategySettings(ServiceSettings):
    """Settings of the strategy service: the instances it runs and where it serves."""

    model_config = SettingsConfigDict(
        env_prefix="CT_STRATEGY_", env_file=".env", extra="ignore", frozen=True
    )

    service_name: str = "strategy"
    grpc_port: int = DEFAULT_GRPC_PORTS["strategy"]
    instances: tuple[InstanceConfig, ...] = DEFAULT_INSTANCES
    # A folder of user strategy modules (``*.py``), loaded beside the built-ins.
    strategies_dir: Path | None = None
    replica_index: int = 0
    replica_count: int = 1
    # Seconds a warm-up request to marketdata may take before the candle is retried.
    history_timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _replicas(self) -> StrategySettings:
        if self.replica_count < 1 or not 0 <= self.replica_index < self.replica_count:
            raise ValueError(
                f"replica_index must be in [0, replica_count), got {self.replica_index} of "
                f"{self.replica_count}"
            )
        return self
