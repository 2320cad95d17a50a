"""Market data service: candle store, file import, exchange fetch, replay of closed candles."""
