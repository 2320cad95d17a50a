"""Settings come from ``CT_MARKETDATA_*`` variables with defaults for the embedded mode."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from crypto_trader.common.errors import ConfigurationError
from crypto_trader.common.settings import DEFAULT_GRPC_PORTS
from crypto_trader.marketdata.app import replay_config
from crypto_trader.marketdata.settings import MarketdataSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("CT_MARKETDATA_")]:
        monkeypatch.delenv(name)


def test_defaults_replay_binance_btc_5m_at_3000_times_real_time() -> None:
    settings = MarketdataSettings()

    assert (settings.exchange, settings.symbol, settings.timeframe) == ("binance", "BTC/USDT", "5m")
    assert (settings.source, settings.replay_file, settings.replay_speed) == ("auto", None, 3000.0)
    assert (settings.replay_start_ms, settings.replay_limit) == (0, 0)
    assert (settings.ccxt_timeout_seconds, settings.synthetic_candles) == (5.0, 5000)
    assert settings.grpc_port == DEFAULT_GRPC_PORTS["marketdata"]


def test_reads_its_own_prefixed_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CT_MARKETDATA_SOURCE", "file")
    monkeypatch.setenv("CT_MARKETDATA_REPLAY_FILE", str(tmp_path / "btc.json"))
    monkeypatch.setenv("CT_MARKETDATA_REPLAY_LIMIT", "100")
    monkeypatch.setenv("CT_MARKETDATA_TIMEFRAME", "1m")

    config = replay_config(MarketdataSettings())

    assert (config.source, config.replay_file, config.replay_limit) == (
        "file",
        tmp_path / "btc.json",
        100,
    )
    assert config.key.timeframe == "1m"


def test_refuses_a_malformed_market_as_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CT_MARKETDATA_SYMBOL", "BTCUSDT")
    with pytest.raises(ConfigurationError, match="BASE/QUOTE"):
        replay_config(MarketdataSettings())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CT_MARKETDATA_SOURCE", "kafka"),
        ("CT_MARKETDATA_REPLAY_SPEED", "-1"),
        ("CT_MARKETDATA_REPLAY_SPEED", "fast"),
        ("CT_MARKETDATA_REPLAY_MAX_LAG", "0"),
        ("CT_MARKETDATA_REPLAY_LIMIT", "-1"),
    ],
)
def test_refuses_settings_that_cannot_work(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        MarketdataSettings()


@pytest.mark.parametrize("value", ["max", "MAX", "0"])
def test_max_replay_speed_means_unpaced(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CT_MARKETDATA_REPLAY_SPEED", value)
    assert MarketdataSettings().replay_speed == 0
