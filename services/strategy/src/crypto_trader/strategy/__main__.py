from crypto_trader.common.runtime import run_service
from crypto_trader.strategy import app
from crypto_trader.strategy.settings import StrategySettings

run_service(app.run, StrategySettings)
