from crypto_trader.common.runtime import run_service
from crypto_trader.ml import app
from crypto_trader.ml.settings import MlSettings

run_service(app.run, MlSettings)
