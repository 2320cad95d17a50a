"""Settings of the execution service (``CT_EXECUTION_*``)."""

from decimal import Decimal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, ServiceSettings


class ExecutionSettings(ServiceSettings):
    """Settings of the execution service."""

    model_config = SettingsConfigDict(
        env_prefix="CT_EXECUTION_", env_file=".env", extra="ignore", frozen=True
    )

    service_name: str = "execution"
    grpc_port: int = DEFAULT_GRPC_PORTS["execution"]
    # Fraction of the notional charged on every paper fill, in the quote currency.
    taker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    # Fee of paper fills that rest at their price (take-profit exits).
    maker_fee: Decimal = Field(default=Decimal("0.001"), ge=0, lt=1)
    # Price moved against the taker on paper market fills, in basis points.
    slippage_bps: Decimal = Field(default=Decimal(0), ge=0, lt=10_000)
    # How often the relay looks for outbox rows a failed publish left behind.
    relay_interval_seconds: float = Field(default=1.0, gt=0)
    # Deadline of one history question to marketdata.
    market_history_timeout_seconds: float = Field(default=5.0, gt=0)
