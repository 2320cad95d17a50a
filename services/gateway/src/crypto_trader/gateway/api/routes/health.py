"""``/health``: is every backend serving and the bus connected."""

from __future__ import annotations

from fastapi import APIRouter

from crypto_trader.gateway.api.deps import BackendsDep, BusDep, SettingsDep
from crypto_trader.gateway.api.schemas import Health

router = APIRouter(prefix="/health", tags=["health"])


@router.get("", response_model=Health)
async def get_health(backends: BackendsDep, bus: BusDep, settings: SettingsDep) -> Health:
    """Report each backend's gRPC health and the NATS connection; "degraded" if anything is off."""
    services = await backends.health(settings.health_timeout_seconds)
    connected = bus.client.is_connected
    healthy = connected and all(state == "serving" for state in services.values())
    return Health(
        status="ok" if healthy else "degraded",
        services=services,
        nats="connected" if connected else "disconnected",
    )
