"""Settings of the gateway (``CT_GATEWAY_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from crypto_trader.common.settings import ServiceSettings


def default_frontend_dir() -> Path | None:
    """Return the repository's ``frontend/`` folder when the gateway runs from a source checkout."""
    # The checkout is the first ancestor holding both services/ and frontend/; an installed wheel
    # has no such ancestor, and then the gateway serves the API only.
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "frontend"
        if candidate.is_dir() and (parent / "services").is_dir():
            return candidate
    return None


class GatewaySettings(ServiceSettings):
    """Settings of the gateway."""

    model_config = SettingsConfigDict(
        env_prefix="CT_GATEWAY_", env_file=".env", extra="ignore", frozen=True
    )

    service_name: str = "gateway"
    host: str = "127.0.0.1"
    port: int = 8000
    frontend_dir: Path | None = Field(default_factory=default_frontend_dir)
    request_timeout_seconds: float = Field(default=5.0, gt=0)
    health_timeout_seconds: float = Field(default=1.0, gt=0)
    # Frames a WebSocket client may fall behind by before it is disconnected.
    ws_queue_size: int = Field(default=1000, ge=1)

    @field_validator("frontend_dir", mode="before")
    @classmethod
    def _empty_means_none(cls, value: object) -> object:
        return None if value == "" else value
