"""The platform's processes: their names, the modules they run and the order they stop in."""

from __future__ import annotations

import sys

# Order matters: gRPC port = base + index in this tuple.
GRPC_SERVICES = ("marketdata", "strategy", "risk", "execution", "portfolio", "ml")
WORKER = "worker"
GATEWAY = "gateway"
# Start order: backends first, the gateway (what users talk to) last.
PROCESSES = (*GRPC_SERVICES, WORKER, GATEWAY)
# Metrics port = base + index in this tuple (the worker reads the strategy's settings: none).
METRICS_SERVICES = (*GRPC_SERVICES, GATEWAY)

MODULES = {name: f"crypto_trader.{name}" for name in (*GRPC_SERVICES, GATEWAY)} | {
    WORKER: "crypto_trader.strategy.worker"
}

# Users' entry point first, so no new request arrives while the services behind it stop; the
# services that produce work (strategy, risk) before the ones that finish it (execution, portfolio).
STOP_STAGES = (
    (GATEWAY,),
    ("strategy", "risk"),
    ("execution",),
    ("portfolio",),
    ("marketdata",),
    ("ml",),
    (WORKER,),
)


def command(name: str, python: str = sys.executable) -> list[str]:
    """Return the command line that runs one platform process."""
    return [python, "-m", MODULES[name]]


def parse_names(text: str) -> tuple[str, ...]:
    """Turn ``"gateway,risk"`` into known process names in start order, or raise ValueError."""
    wanted = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(wanted - set(PROCESSES))
    if unknown:
        raise ValueError(f"unknown service {', '.join(unknown)}; valid: {', '.join(PROCESSES)}")
    if not wanted:
        raise ValueError(f"no service named; valid: {', '.join(PROCESSES)}")
    return tuple(name for name in PROCESSES if name in wanted)


def stop_stages(names: list[str] | tuple[str, ...]) -> list[list[str]]:
    """Group running processes into the stages they stop in; names not in the plan stop last."""
    remaining = list(names)
    stages: list[list[str]] = []
    for stage in STOP_STAGES:
        members = [name for name in remaining if name in stage]
        if members:
            stages.append(members)
            remaining = [name for name in remaining if name not in stage]
    if remaining:
        stages.append(remaining)
    return stages
