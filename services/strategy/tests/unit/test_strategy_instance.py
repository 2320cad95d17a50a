"""Instance identity, progress, the strategy registry and the service settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.ids import stable_id
from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, InfraSettings
from crypto_trader.strategy.domain.instance import InstanceProgress, InstanceSpec
from crypto_trader.strategy.domain.registry import describe_strategy, list_strategies
from crypto_trader.strategy.settings import StrategySettings


class TestInstanceSpec:
    def test_instance_id_is_stable_over_strategy_account_market_and_parameters(self) -> None:
        spec = InstanceSpec("sma_cross", "paper", "binance", "BTC/USDT", "5m", 10, 30)

        assert spec.instance_id == stable_id(
            "sma_cross", "paper", "binance", "BTC/USDT", "5m", 10, 30
        )
        assert (
            spec.instance_id
            == InstanceSpec("sma_cross", "paper", "binance", "BTC/USDT", "5m", 10, 30).instance_id
        )

    def test_changing_a_parameter_makes_another_instance(self) -> None:
        one = InstanceSpec("sma_cross", "paper", "binance", "BTC/USDT", "5m", 10, 30)
        other = InstanceSpec("sma_cross", "paper", "binance", "BTC/USDT", "5m", 10, 31)

        assert one.instance_id != other.instance_id

    def test_refuses_fast_not_below_slow(self) -> None:
        with pytest.raises(InvalidInput):
            InstanceSpec("sma_cross", "paper", "binance", "BTC/USDT", "5m", 30, 30)


class TestInstanceProgress:
    def test_counts_candles_and_signals_and_remembers_the_last_candle(self) -> None:
        progress = (
            InstanceProgress("i").after_candle(100, emitted=False).after_candle(200, emitted=True)
        )

        assert progress == InstanceProgress("i", 200, candles_seen=2, signals_emitted=1)
        assert progress.has_processed(200)
        assert progress.has_processed(100)
        assert not progress.has_processed(201)

    def test_a_new_instance_has_processed_nothing(self) -> None:
        assert not InstanceProgress("i").has_processed(0)


class TestRegistry:
    def test_lists_sma_cross_with_its_parameters(self) -> None:
        (sma,) = list_strategies()

        assert sma.name == "sma_cross"
        assert [(p.name, p.kind, p.default) for p in sma.parameters] == [
            ("fast", "int", "10"),
            ("slow", "int", "30"),
        ]

    def test_unknown_strategy_is_invalid_input(self) -> None:
        with pytest.raises(InvalidInput, match="unknown strategy"):
            describe_strategy("martingale")


class TestStrategySettings:
    def test_defaults_describe_the_platform_default_market(self) -> None:
        settings = StrategySettings(infra=InfraSettings(account="paper"))

        assert (settings.strategy, settings.exchange, settings.symbol, settings.timeframe) == (
            "sma_cross",
            "binance",
            "BTC/USDT",
            "5m",
        )
        assert (settings.fast, settings.slow) == (10, 30)
        assert settings.grpc_port == DEFAULT_GRPC_PORTS["strategy"]
        assert settings.instance_spec().account == "paper"

    def test_reads_its_own_environment_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CT_STRATEGY_FAST", "5")
        monkeypatch.setenv("CT_STRATEGY_SLOW", "20")
        monkeypatch.setenv("CT_STRATEGY_SYMBOL", "ETH/USDT")

        settings = StrategySettings()

        assert (settings.fast, settings.slow, settings.symbol) == (5, 20, "ETH/USDT")

    @pytest.mark.parametrize(
        "fields",
        [
            {"fast": 30, "slow": 10},
            {"fast": 10, "slow": 10},
            {"fast": 0, "slow": 10},
            {"strategy": "nope"},
            {"symbol": "BTCUSDT"},
            {"timeframe": "5x"},
            {"exchange": "bin.ance"},
        ],
    )
    def test_refuses_settings_that_cannot_work(self, fields: dict[str, object]) -> None:
        with pytest.raises(ValidationError):
            StrategySettings(**fields)
