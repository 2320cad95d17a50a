"""Settings of the market data service (``CT_MARKETDATA_*``)."""

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, ServiceSettings


class MarketdataSettings(ServiceSettings):
    """Settings of the market data service.

    Live candles come over each provider's websocket kline stream by default (``live_transport``),
    over REST polling where an exchange has none or ``live_transport`` is "rest".
    """

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
    # Factor against real time: 1500 replays a 5m candle every 0.2 s. "max" (or 0): as fast as the
    # durable candle consumers keep up, never more than replay_max_lag candles ahead of any.
    replay_speed: float = Field(default=3000.0, ge=0)
    replay_max_lag: int = Field(default=1000, gt=0)
    # A consumer behind and idle this long is taken for gone: the replay stops waiting for it.
    replay_consumer_idle_seconds: float = Field(default=30.0, gt=0)
    replay_start_ms: int = Field(default=0, ge=0)
    # 0 replays every candle from replay_start_ms on.
    replay_limit: int = Field(default=0, ge=0)
    ccxt_timeout_seconds: float = Field(default=5.0, gt=0)
    synthetic_candles: int = Field(default=5000, gt=0)
    synthetic_seed: int = 7
    # Several markets of the exchange and timeframe; empty means just ``symbol``.
    symbols: list[str] = Field(default_factory=list)

    # Live source (source "ccxt", or "auto" when the first provider answers): providers in order
    # of preference, each asked for the market's candles through ccxt.
    live_providers: list[str] = Field(default_factory=lambda: ["binance"], min_length=1)
    live_poll_seconds: float = Field(default=5.0, gt=0)
    # How live candles arrive. "websocket" (the default: a closed candle goes out as soon as the
    # exchange says so, and REST is called only to catch up) follows each provider's kline stream
    # through ccxt.pro where ccxt's ``has`` says the exchange streams klines, polls the others over
    # REST, and after any stream error or disconnect catches up over REST from the last stored
    # candle before taking streamed candles again. "rest" polls every provider every
    # live_poll_seconds.
    live_transport: Literal["websocket", "rest"] = "websocket"
    exchange_timeout_seconds: float = Field(default=10.0, gt=0)
    failover_base_backoff_ms: int = Field(default=1_000, gt=0)
    failover_max_backoff_ms: int = Field(default=60_000, gt=0)
    failover_probe_interval_ms: int = Field(default=30_000, gt=0)
    # A stand-in or relay for every provider (tests), or per provider; it serves the websocket
    # streams too (http://host becomes ws://host, https wss).
    exchange_api_base_url: str | None = None
    exchange_api_base_urls: dict[str, str] = Field(default_factory=dict)

    # Days of candles kept per timeframe; a timeframe not listed is kept forever.
    retention_days: dict[str, int] = Field(default_factory=lambda: {"1m": 90})
    retention_interval_seconds: float = Field(default=3600.0, gt=0)

    @field_validator("replay_speed", mode="before")
    @classmethod
    def _max_speed(cls, value: object) -> object:
        return 0.0 if isinstance(value, str) and value.strip().lower() == "max" else value

    @property
    def markets(self) -> list[str]:
        """Return the replayed symbols, the first one being the primary market."""
        return list(dict.fromkeys(self.symbols)) if self.symbols else [self.symbol]

    def api_base_url(self, provider: str) -> str | None:
        """Return where to send a provider's REST calls (None: the exchange itself)."""
        return self.exchange_api_base_urls.get(provider, self.exchange_api_base_url)
