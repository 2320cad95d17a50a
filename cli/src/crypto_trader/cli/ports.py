"""Which TCP ports `ct up` binds, and the check that all of them are free before anything starts."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from crypto_trader.cli.services import GATEWAY, GRPC_SERVICES, METRICS_SERVICES
from crypto_trader.common.embedded import port_is_free


@dataclass(frozen=True)
class PortPlan:
    """Every port of one `ct up` run; ``None`` means that server is not started here."""

    gateway: int
    grpc: dict[str, int]
    metrics: dict[str, int] = field(default_factory=dict)
    nats: int | None = None
    redis: int | None = None

    def bindings(self, started: Collection[str]) -> list[tuple[int, str]]:
        """Return (port, what binds it) for the servers this run starts."""
        bound: list[tuple[int, str]] = []
        if self.nats is not None:
            bound.append((self.nats, "the embedded NATS server"))
        if self.redis is not None:
            bound.append((self.redis, "the embedded Redis server"))
        if GATEWAY in started:
            bound.append((self.gateway, "the gateway (HTTP)"))
        bound += [(port, f"{name} gRPC") for name, port in self.grpc.items() if name in started]
        bound += [
            (port, f"{name} metrics") for name, port in self.metrics.items() if name in started
        ]
        return bound


def plan_ports(
    *,
    gateway_port: int,
    grpc_port_base: int,
    metrics_port_base: int = 0,
    nats_port: int | None = None,
    redis_port: int | None = None,
) -> PortPlan:
    """Lay out the ports: gRPC and metrics ports follow their bases (metrics base 0 = off)."""
    grpc = {name: grpc_port_base + index for index, name in enumerate(GRPC_SERVICES)}
    metrics = (
        {name: metrics_port_base + index for index, name in enumerate(METRICS_SERVICES)}
        if metrics_port_base
        else {}
    )
    return PortPlan(
        gateway=gateway_port, grpc=grpc, metrics=metrics, nats=nats_port, redis=redis_port
    )


def port_problems(
    bindings: list[tuple[int, str]], *, is_free: Callable[[int], bool] = port_is_free
) -> list[str]:
    """Describe each port that is out of range, planned twice or in use (empty: all good)."""
    problems: list[str] = []
    owner: dict[int, str] = {}
    for port, what in bindings:
        if not 0 < port < 65536:
            problems.append(f"port {port} for {what} is not a valid TCP port")
        elif port in owner:
            problems.append(f"port {port} is planned for both {owner[port]} and {what}")
        else:
            owner[port] = what
    problems += [
        f"port {port} for {what} is already in use"
        for port, what in owner.items()
        if not is_free(port)
    ]
    return problems
