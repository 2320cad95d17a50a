"""Strategy service: runs strategy instances on closed candles and publishes their signals."""
