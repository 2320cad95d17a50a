import pytest

from crypto_trader.cli.ports import plan_ports, port_problems
from crypto_trader.cli.services import PROCESSES


def _plan(**overrides: int | None):
    arguments: dict[str, int | None] = {
        "gateway_port": 8000,
        "grpc_port_base": 50051,
        "metrics_port_base": 0,
        "nats_port": 14222,
        "redis_port": 16379,
    }
    arguments.update(overrides)
    return plan_ports(**arguments)  # type: ignore[arg-type]


class TestPlanPorts:
    def test_grpc_ports_follow_the_base_in_service_order(self) -> None:
        plan = _plan()

        assert plan.grpc == {
            "marketdata": 50051,
            "strategy": 50052,
            "risk": 50053,
            "execution": 50054,
            "portfolio": 50055,
            "ml": 50056,
        }

    def test_metrics_are_off_by_default(self) -> None:
        assert _plan().metrics == {}

    def test_metrics_ports_follow_their_base(self) -> None:
        plan = _plan(metrics_port_base=9100)

        assert plan.metrics["marketdata"] == 9100
        assert plan.metrics["ml"] == 9105
        assert plan.metrics["gateway"] == 9106
        assert "worker" not in plan.metrics

    def test_default_embedded_ports_leave_the_standard_ones_alone(self) -> None:
        plan = _plan()

        assert (plan.nats, plan.redis) == (14222, 16379)

    def test_binds_everything_when_all_processes_start(self) -> None:
        ports = [port for port, _ in _plan(metrics_port_base=9100).bindings(PROCESSES)]

        assert sorted(ports) == sorted(
            [8000, 14222, 16379, *range(50051, 50057), *range(9100, 9107)]
        )

    def test_binds_only_what_the_chosen_processes_use(self) -> None:
        bindings = _plan(nats_port=None, redis_port=None).bindings(("risk", "worker"))

        assert bindings == [(50053, "risk gRPC")]

    def test_external_servers_bind_nothing_here(self) -> None:
        bindings = _plan(nats_port=None, redis_port=None).bindings(("gateway",))

        assert bindings == [(8000, "the gateway (HTTP)")]


class TestPortProblems:
    def test_no_problem_when_every_port_is_free(self) -> None:
        assert port_problems(_plan().bindings(PROCESSES), is_free=lambda _port: True) == []

    def test_names_the_busy_port_and_its_user(self) -> None:
        problems = port_problems(_plan().bindings(PROCESSES), is_free=lambda port: port != 50054)

        assert problems == ["port 50054 for execution gRPC is already in use"]

    def test_reports_a_port_planned_twice(self) -> None:
        plan = _plan(gateway_port=50052)

        problems = port_problems(plan.bindings(PROCESSES), is_free=lambda _port: True)

        assert problems == ["port 50052 is planned for both the gateway (HTTP) and strategy gRPC"]

    @pytest.mark.parametrize("port", [0, 65536, -1])
    def test_rejects_ports_outside_the_tcp_range(self, port: int) -> None:
        problems = port_problems([(port, "x")], is_free=lambda _port: True)

        assert problems == [f"port {port} for x is not a valid TCP port"]
