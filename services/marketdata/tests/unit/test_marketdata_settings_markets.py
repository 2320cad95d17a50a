"""Settings of several markets, the live source and retention."""

from __future__ import annotations

import os

import pytest

from crypto_trader.common.errors import ConfigurationError
from crypto_trader.marketdata.app import check_failover, replay_configs, retention_policy
from crypto_trader.marketdata.settings import MarketdataSettings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("CT_MARKETDATA_")]:
        monkeypatch.delenv(name)


def test_defaults_replay_the_one_symbol_live_from_binance_and_keep_1m_for_90_days() -> None:
    settings = MarketdataSettings()

    assert settings.markets == ["BTC/USDT"]
    assert settings.live_providers == ["binance"]
    assert settings.api_base_url("binance") is None
    assert (settings.retention_days, settings.retention_interval_seconds) == ({"1m": 90}, 3600)


def test_several_symbols_come_from_the_environment_primary_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CT_MARKETDATA_SYMBOLS", '["ETH/USDT", "BTC/USDT", "ETH/USDT"]')
    monkeypatch.setenv("CT_MARKETDATA_EXCHANGE_API_BASE_URL", "http://127.0.0.1:9")

    settings = MarketdataSettings()

    assert [config.key.symbol for config in replay_configs(settings)] == ["ETH/USDT", "BTC/USDT"]
    assert settings.api_base_url("okx") == "http://127.0.0.1:9"


def test_malformed_market_retention_or_failover_settings_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="market settings"):
        replay_configs(MarketdataSettings(symbols=["BTCUSDT"]))
    with pytest.raises(ConfigurationError, match="retention"):
        retention_policy(MarketdataSettings(retention_days={"1m": 0}))
    with pytest.raises(ConfigurationError, match="live provider"):
        check_failover(MarketdataSettings(live_providers=["binance", "binance"]))
