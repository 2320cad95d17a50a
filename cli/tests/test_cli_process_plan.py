from pathlib import Path

import pytest

from crypto_trader.cli.ports import plan_ports
from crypto_trader.cli.services import PROCESSES, command, parse_names, stop_stages
from crypto_trader.cli.up import child_env, service_specs


def _env(base: dict[str, str] | None = None) -> dict[str, str]:
    plan = plan_ports(gateway_port=8000, grpc_port_base=50051, metrics_port_base=9100)
    return child_env(
        base or {"PATH": "/bin"},
        plan,
        data_dir=Path("/data"),
        nats_url="nats://127.0.0.1:14222",
        redis_url="redis://127.0.0.1:16379/0",
    )


class TestParseNames:
    def test_keeps_start_order_whatever_the_order_given(self) -> None:
        assert parse_names("gateway, risk,marketdata") == ("marketdata", "risk", "gateway")

    def test_names_the_unknown_service_and_the_valid_ones(self) -> None:
        with pytest.raises(ValueError, match="unknown service riks; valid: marketdata, strategy"):
            parse_names("riks,gateway")

    def test_rejects_an_empty_list(self) -> None:
        with pytest.raises(ValueError, match="no service named"):
            parse_names(" , ")


class TestStopStages:
    def test_gateway_first_then_producers_then_consumers_worker_last(self) -> None:
        assert stop_stages(list(PROCESSES)) == [
            ["gateway"],
            ["strategy", "risk"],
            ["execution"],
            ["portfolio"],
            ["marketdata"],
            ["ml"],
            ["worker"],
        ]

    def test_skips_processes_not_running_and_stops_unknown_ones_last(self) -> None:
        assert stop_stages(["dummy", "ml", "gateway"]) == [["gateway"], ["ml"], ["dummy"]]


class TestCommands:
    def test_every_service_runs_as_a_python_module(self) -> None:
        assert command("risk", "python") == ["python", "-m", "crypto_trader.risk"]

    def test_the_worker_is_the_strategy_celery_worker(self) -> None:
        assert command("worker", "python") == ["python", "-m", "crypto_trader.strategy.worker"]


class TestChildEnv:
    def test_tells_every_child_where_every_service_is(self) -> None:
        env = _env()

        assert env["CT_MARKETDATA_GRPC_PORT"] == "50051"
        assert env["CT_ML_GRPC_PORT"] == "50056"
        assert env["CT_EXECUTION_ADDR"] == "127.0.0.1:50054"
        assert env["CT_PORTFOLIO_ADDR"] == "127.0.0.1:50055"
        assert env["CT_GATEWAY_PORT"] == "8000"
        assert env["CT_RISK_METRICS_PORT"] == "9102"

    def test_points_at_the_infrastructure_and_data_dir(self) -> None:
        env = _env()

        assert env["CT_NATS_URL"] == "nats://127.0.0.1:14222"
        assert env["CT_REDIS_URL"] == "redis://127.0.0.1:16379/0"
        assert env["CT_DATA_DIR"] == "/data"
        assert env["PYTHONUNBUFFERED"] == "1"
        assert "CT_DATABASE_URL" not in env

    def test_inherits_the_callers_environment(self) -> None:
        env = _env({"PATH": "/bin", "CT_DATABASE_URL": "postgresql://db/ct"})

        assert env["PATH"] == "/bin"
        assert env["CT_DATABASE_URL"] == "postgresql://db/ct"

    def test_plain_logs_unless_the_user_chose(self) -> None:
        assert _env()["CT_LOG_JSON"] == "false"
        assert _env({"CT_LOG_JSON": "true"})["CT_LOG_JSON"] == "true"

    def test_the_worker_does_not_take_the_strategy_metrics_port(self) -> None:
        specs = {spec.name: spec for spec in service_specs(PROCESSES, _env(), python="python")}

        assert specs["worker"].env["CT_STRATEGY_METRICS_PORT"] == "0"
        assert specs["strategy"].env["CT_STRATEGY_METRICS_PORT"] == "9101"
        assert list(specs) == list(PROCESSES)
