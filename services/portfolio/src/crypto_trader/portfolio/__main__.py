from crypto_trader.common.runtime import run_service
from crypto_trader.portfolio import app
from crypto_trader.portfolio.settings import PortfolioSettings

run_service(app.run, PortfolioSettings)
