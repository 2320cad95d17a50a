from crypto_trader.common.runtime import run_service
from crypto_trader.risk import app
from crypto_trader.risk.settings import RiskSettings

run_service(app.run, RiskSettings)
