from crypto_trader.cli.main import app

app(prog_name="ct")
