"""Settings of the market data service (``CT_MARKETDATA_*``)."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, ServiceSettings


class MarketdataSettings(ServiceSettings):
    """Settings of the market data service."""

    model_config = SettingsConfigDict(
        env_prefix="CT_MARKETDATA_", env_file=".env", extra="ignore", frozen=True
    )

    service_name: str = "marketdata"
    grpc_port: int = DEFAULT_GRPC_PORTS["marketdata"]

    exchange: str = "binance"
    symbol: str = "BTC/USDT"
    timeframe: str = "5m"
    # auto: replay_file if set, else the exchange, else the store, else a synthetic series.
    source: Literal["auto", "ccxt", "store", "file"] = "auto"
    replay_file: Path | None = None
    # Factor against real time: 1500 replays a 5m candle every 0.2 s.
    replay_speed: float = Field(default=1500.0, gt=0)
    replay_start_ms: int = Field(default=0, ge=0)
    # 0 replays every candle from replay_start_ms on.
    replay_limit: int = Field(default=0, ge=0)
    ccxt_timeout_seconds: float = Field(default=5.0, gt=0)
    # How many recent candles to fetch from the exchange for the "ccxt" source.
    ccxt_candles: int = Field(default=1000, gt=0, le=5000)
    synthetic_candles: int = Field(default=5000, gt=0)
    synthetic_seed: int = 7
