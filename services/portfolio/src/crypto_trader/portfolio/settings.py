"""Settings of the portfolio service (``CT_PORTFOLIO_*``)."""

from decimal import Decimal

from pydantic_settings import SettingsConfigDict

from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, ServiceSettings


class PortfolioSettings(ServiceSettings):
    """Settings of the portfolio service."""

    model_config = SettingsConfigDict(
        env_prefix="CT_PORTFOLIO_", env_file=".env", extra="ignore", frozen=True
    )

    service_name: str = "portfolio"
    grpc_port: int = DEFAULT_GRPC_PORTS["portfolio"]
    # Deposited once, on the first start; changing it later does not touch the ledger.
    initial_cash: Decimal = Decimal("10000")
