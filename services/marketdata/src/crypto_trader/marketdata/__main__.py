from crypto_trader.common.runtime import run_service
from crypto_trader.marketdata import app
from crypto_trader.marketdata.settings import MarketdataSettings

run_service(app.run, MarketdataSettings)
