"""Settings from ``CT_``-prefixed environment variables and a local ``.env`` file."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crypto_trader.common import subjects

DEFAULT_GRPC_PORTS = {
    "marketdata": 50051,
    "strategy": 50052,
    "risk": 50053,
    "execution": 50054,
    "portfolio": 50055,
    "ml": 50056,
}


class InfraSettings(BaseSettings):
    """Where the shared infrastructure and the other services are."""

    model_config = SettingsConfigDict(
        env_prefix="CT_", env_file=".env", extra="ignore", frozen=True
    )

    nats_url: str = "nats://127.0.0.1:4222"
    database_url: str | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "ct:"
    subject_root: str = "ct"
    data_dir: Path = Path("var")
    account: str = "paper"
    quote_currency: str = "USDT"
    log_level: str = "INFO"
    log_json: bool = True

    marketdata_addr: str = f"127.0.0.1:{DEFAULT_GRPC_PORTS['marketdata']}"
    strategy_addr: str = f"127.0.0.1:{DEFAULT_GRPC_PORTS['strategy']}"
    risk_addr: str = f"127.0.0.1:{DEFAULT_GRPC_PORTS['risk']}"
    execution_addr: str = f"127.0.0.1:{DEFAULT_GRPC_PORTS['execution']}"
    portfolio_addr: str = f"127.0.0.1:{DEFAULT_GRPC_PORTS['portfolio']}"
    ml_addr: str = f"127.0.0.1:{DEFAULT_GRPC_PORTS['ml']}"

    @field_validator("subject_root")
    @classmethod
    def _check_root(cls, value: str) -> str:
        return subjects.validate_root(value)

    def database_url_for(self, service: str) -> str:
        """Return the configured database, or the service's own SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    def grpc_addr(self, service: str) -> str:
        """Return the gRPC address of a backend service."""
        value: str = getattr(self, f"{service}_addr")
        return value


def _default_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ServiceSettings(BaseSettings):
    """Settings every service process has; each service subclasses it with its own env prefix."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    service_name: str = "service"
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 0
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    heartbeat_seconds: float = 5.0
    shutdown_grace_seconds: float = 5.0
    instance_id: str = Field(default_factory=_default_instance_id)
    infra: InfraSettings = Field(default_factory=InfraSettings)
