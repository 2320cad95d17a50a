"""Run the gateway: ``python -m crypto_trader.gateway``."""

from crypto_trader.common.runtime import run_service
from crypto_trader.gateway import app
from crypto_trader.gateway.settings import GatewaySettings

run_service(app.run, GatewaySettings)
