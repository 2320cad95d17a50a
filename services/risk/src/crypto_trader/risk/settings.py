"""Settings of the risk service (``CT_RISK_*``)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, ServiceSettings
from crypto_trader.risk.domain.limits import RiskLimits


class RiskSettings(ServiceSettings):
    """Settings of the risk service: its limits (in the quote currency) and where it serves."""

    model_config = SettingsConfigDict(
        env_prefix="CT_RISK_", env_file=".env", extra="ignore", frozen=True
    )

    service_name: str = "risk"
    grpc_port: int = DEFAULT_GRPC_PORTS["risk"]
    order_notional: Decimal = Decimal(1000)
    quantity_step: Decimal = Decimal("0.00001")
    max_position_notional: Decimal = Decimal(2500)
    # CT_RISK_ALLOW_SHORT: let this account's short entries through. Off by default because a
    # spot market cannot be sold short; when off, a short entry is rejected with the reason
    # "shorting disabled for <exchange>:<symbol>".
    allow_short: bool = False

    @field_validator("order_notional", "quantity_step", "max_position_notional", mode="before")
    @classmethod
    def _no_float(cls, value: object) -> object:
        # A float would carry binary noise into every quantity; decimals come as strings.
        if isinstance(value, float):
            raise ValueError("limits must be given as decimal strings, not floats")
        return value

    @field_validator("order_notional", "quantity_step", "max_position_notional")
    @classmethod
    def _positive(cls, value: Decimal) -> Decimal:
        if not value.is_finite() or value <= 0:
            raise ValueError(f"must be a positive decimal, got {value}")
        return value

    def limits(self) -> RiskLimits:
        """Return the limits these settings describe."""
        return RiskLimits(
            order_notional=self.order_notional,
            quantity_step=self.quantity_step,
            max_position_notional=self.max_position_notional,
            allow_short=self.allow_short,
        )
