"""Settings of the ML service (``CT_ML_*``)."""

from pydantic_settings import SettingsConfigDict

from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, ServiceSettings


class MlSettings(ServiceSettings):
    """Settings of the ML service."""

    model_config = SettingsConfigDict(
        env_prefix="CT_ML_", env_file=".env", extra="ignore", frozen=True
    )

    service_name: str = "ml"
    grpc_port: int = DEFAULT_GRPC_PORTS["ml"]
