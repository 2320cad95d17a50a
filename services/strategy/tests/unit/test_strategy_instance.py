"""Instance identity, progress, replica ownership and the service settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crypto_trader.common.settings import DEFAULT_GRPC_PORTS, InfraSettings
from crypto_trader.strategy.app import owned_specs
from crypto_trader.strategy.domain.instance import InstanceProgress, InstanceSpec
from crypto_trader.strategy.domain.registry import StrategyRegistry
from crypto_trader.strategy.settings import InstanceConfig, StrategySettings

REGISTRY = StrategyRegistry.with_built_ins()


def _spec(**params: object) -> InstanceSpec:
    return InstanceSpec.create("sma_cross", "paper", "binance", "BTC/USDT", "5m", params)  # type: ignore[arg-type]


class TestInstanceSpec:
    def test_instance_id_is_stable_and_independent_of_parameter_order(self) -> None:
        one = InstanceSpec.create(
            "sma_cross", "paper", "binance", "BTC/USDT", "5m", {"fast": 10, "slow": 30}
        )
        two = InstanceSpec.create(
            "sma_cross", "paper", "binance", "BTC/USDT", "5m", {"slow": 30, "fast": 10}
        )

        assert one.instance_id == two.instance_id
        assert len(one.instance_id) == 32

    def test_changing_a_parameter_or_the_market_makes_another_instance(self) -> None:
        base = _spec(fast=10, slow=30)

        assert base.instance_id != _spec(fast=10, slow=31).instance_id
        other_market = InstanceSpec.create(
            "sma_cross", "paper", "binance", "ETH/USDT", "5m", base.parameters
        )
        assert base.instance_id != other_market.instance_id

    def test_replicas_split_the_instances_between_them_exactly_once(self) -> None:
        specs = [_spec(fast=fast, slow=40) for fast in range(2, 30)]

        owners = [[i for i in range(3) if spec.owned_by(i, 3)] for spec in specs]

        assert all(len(owner) == 1 for owner in owners)
        assert {owner[0] for owner in owners} == {0, 1, 2}


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


class TestStrategySettings:
    def test_default_is_one_sma_cross_10_30_on_binance_btc_usdt_5m(self) -> None:
        settings = StrategySettings(infra=InfraSettings(account="paper"))

        (spec,) = owned_specs(settings, REGISTRY)
        assert (spec.strategy, spec.exchange, spec.symbol, spec.timeframe) == (
            "sma_cross",
            "binance",
            "BTC/USDT",
            "5m",
        )
        assert spec.parameters == {"fast": 10, "slow": 30, "short": False}
        assert spec.account == "paper"
        assert settings.grpc_port == DEFAULT_GRPC_PORTS["strategy"]

    def test_reads_instances_as_json_from_its_environment_prefix(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(
            "CT_STRATEGY_INSTANCES",
            '[{"strategy": "rsi_mean_reversion", "symbol": "ETH/USDT", "timeframe": "1h",'
            ' "params": {"period": "7"}, "active_hours": [8, 20], "active_days": ["mon", "fri"],'
            ' "start": "2026-01-01T00:00:00Z", "max_trades_per_day": 2},'
            ' {"strategy": "buy_and_hold"}]',
        )

        settings = StrategySettings()

        rsi, hold = owned_specs(settings, REGISTRY)
        assert (rsi.strategy, rsi.symbol, rsi.timeframe) == ("rsi_mean_reversion", "ETH/USDT", "1h")
        assert rsi.parameters["period"] == 7
        assert rsi.schedule.active_hours == (8, 20)
        assert rsi.schedule.active_days == frozenset({0, 4})
        assert rsi.schedule.start_ms == 1_767_225_600_000
        assert rsi.schedule.max_trades_per_day == 2
        assert hold.strategy == "buy_and_hold"

    def test_an_instance_of_an_unknown_strategy_or_bad_parameters_is_skipped(self) -> None:
        settings = StrategySettings(
            instances=(
                InstanceConfig(strategy="martingale"),
                InstanceConfig(strategy="sma_cross", params={"fast": 40, "slow": 30}),
                InstanceConfig(strategy="ema_cross"),
            )
        )

        assert [spec.strategy for spec in owned_specs(settings, REGISTRY)] == ["ema_cross"]

    def test_each_replica_runs_only_its_share(self) -> None:
        configs = tuple(
            InstanceConfig(strategy="sma_cross", params={"fast": f, "slow": 40})
            for f in range(2, 22)
        )
        shares = [
            owned_specs(
                StrategySettings(instances=configs, replica_index=i, replica_count=2), REGISTRY
            )
            for i in range(2)
        ]

        ids = [spec.instance_id for share in shares for spec in share]
        assert len(ids) == len(set(ids)) == 20
        assert all(shares)

    @pytest.mark.parametrize(
        "fields",
        [
            {"instances": [{"strategy": "sma_cross", "symbol": "BTCUSDT"}]},
            {"instances": [{"strategy": "sma_cross", "timeframe": "5x"}]},
            {"instances": [{"strategy": "sma_cross", "exchange": "bin.ance"}]},
            {"instances": [{"strategy": "sma_cross", "active_hours": [25, 3]}]},
            {"instances": [{"strategy": "sma_cross", "active_days": ["someday"]}]},
            {"instances": [{"strategy": "sma_cross", "unknown": 1}]},
            {"replica_index": 2, "replica_count": 2},
        ],
    )
    def test_refuses_settings_that_cannot_work(self, fields: dict[str, object]) -> None:
        with pytest.raises(ValidationError):
            StrategySettings(**fields)
