"""Pure strategy logic: indicators, signals, instance identity, registry and backtests."""
