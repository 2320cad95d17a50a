"""Settings of the strategy service (``CT_STRATEGY_*``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Timeframe, validate_symbol
from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, ServiceSettings
from crypto_trader.common.subjects import token
from crypto_trader.strategy.domain.instance import InstanceSpec
from crypto_trader.strategy.domain.registry import describe_strategy
from crypto_trader.strategy.domain.sma_cross import validate_periods

T = TypeVar("T")


class StrategySettings(ServiceSettings):
    """Settings of the strategy service: the one instance it runs and where it serves."""

    model_config = SettingsConfigDict(
        env_prefix="CT_STRATEGY_", env_file=".env", extra="ignore", frozen=True
    )

    service_name: str = "strategy"
    grpc_port: int = DEFAULT_GRPC_PORTS["strategy"]
    strategy: str = "sma_cross"
    exchange: str = "binance"
    symbol: str = "BTC/USDT"
    timeframe: str = "5m"
    fast: int = 10
    slow: int = 30
    # Seconds a warm-up request to marketdata may take before the candle is retried.
    history_timeout_seconds: float = 10.0

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, value: str) -> str:
        return _checked(lambda: describe_strategy(value)).name

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
    def _periods(self) -> StrategySettings:
        _checked(lambda: validate_periods(self.fast, self.slow))
        return self

    def instance_spec(self) -> InstanceSpec:
        """Return the instance these settings describe."""
        return InstanceSpec(
            strategy=self.strategy,
            account=self.infra.account,
            exchange=self.exchange,
            symbol=self.symbol,
            timeframe=self.timeframe,
            fast=self.fast,
            slow=self.slow,
        )


def _checked(check: Callable[[], T]) -> T:
    # pydantic reports a ValueError as a validation error; InvalidInput is the platform's own.
    try:
        return check()
    except InvalidInput as error:
        raise ValueError(str(error)) from None
