from crypto_trader.common.runtime import run_service
from crypto_trader.execution import app
from crypto_trader.execution.settings import ExecutionSettings

run_service(app.run, ExecutionSettings)
