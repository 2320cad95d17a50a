"""`ct up`: check ports, start embedded NATS and Redis, then supervise every platform process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from crypto_trader.cli.output import PrefixedOutput
from crypto_trader.cli.ports import PortPlan, plan_ports, port_problems
from crypto_trader.cli.services import GATEWAY, PROCESSES, WORKER, command
from crypto_trader.cli.state_file import PlatformState, pid_alive, read_state, state_path
from crypto_trader.cli.supervisor import ServiceSpec, Supervisor, run_in_own_session, supervise
from crypto_trader.common.embedded import EmbeddedServer, start_nats, start_redis
from crypto_trader.common.errors import ConfigurationError

EXIT_USAGE = 2
_HEALTH_PATH = "/api/v1/health"
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class UpOptions:
    """What the user asked `ct up` for."""

    data_dir: Path = Path("var")
    gateway_port: int = 8000
    grpc_port_base: int = 50051
    metrics_port_base: int = 0
    nats_port: int = 14222
    redis_port: int = 16379
    only: tuple[str, ...] = PROCESSES


def child_env(
    base: Mapping[str, str],
    plan: PortPlan,
    *,
    data_dir: Path,
    nats_url: str,
    redis_url: str,
) -> dict[str, str]:
    """Build the environment every child gets: the caller's, plus where everything runs."""
    env = dict(base)
    env["CT_DATA_DIR"] = str(data_dir)
    env["CT_NATS_URL"] = nats_url
    env["CT_REDIS_URL"] = redis_url
    for name, port in plan.grpc.items():
        env[f"CT_{name.upper()}_GRPC_PORT"] = str(port)
        env[f"CT_{name.upper()}_ADDR"] = f"127.0.0.1:{port}"
    for name, port in plan.metrics.items():
        env[f"CT_{name.upper()}_METRICS_PORT"] = str(port)
    env["CT_GATEWAY_PORT"] = str(plan.gateway)
    env.setdefault("CT_GATEWAY_HOST", "127.0.0.1")
    env.setdefault("CT_LOG_JSON", "false")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def service_specs(
    names: tuple[str, ...], env: Mapping[str, str], python: str = sys.executable
) -> list[ServiceSpec]:
    """Describe the child processes for the chosen platform processes."""
    specs = []
    for name in names:
        own_env = dict(env)
        if name == WORKER:
            # The worker reads the strategy's settings: it must not bind the strategy's metrics port
            own_env["CT_STRATEGY_METRICS_PORT"] = "0"
        specs.append(ServiceSpec(name, command(name, python), own_env))
    return specs


def gateway_url(plan: PortPlan) -> str:
    """Where the web app and the REST API answer."""
    return f"http://127.0.0.1:{plan.gateway}"


async def _gateway_answers(port: int) -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1.0)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(f"GET {_HEALTH_PATH} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 2.0)
        return status.split(b" ")[1:2] == [b"200"]
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def announce_when_ready(output: PrefixedOutput, plan: PortPlan) -> None:
    """Print the banner with the web app's URL once the gateway answers its health check."""
    while not await _gateway_answers(plan.gateway):
        await asyncio.sleep(0.5)
    url = gateway_url(plan)
    output.console.print(
        Panel.fit(
            f"[bold green]Crypto Trader is up[/]\nweb app and API: [link={url}]{url}[/link]\n"
            "Ctrl-C stops everything",
            border_style="green",
        )
    )


@contextlib.contextmanager
def _terminate_raises_interrupt() -> Iterator[None]:
    # Until the supervisor's own handlers are in place, SIGTERM must still unwind through the
    # `finally` blocks that stop the embedded servers, as Ctrl-C does.
    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _signals_ignored() -> Iterator[None]:
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in _STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_up(options: UpOptions, console: Console, environ: Mapping[str, str] = os.environ) -> int:
    """Run the platform until Ctrl-C or SIGTERM; return the process exit code."""
    data_dir = options.data_dir.resolve()
    previous = read_state(state_path(data_dir)) if state_path(data_dir).exists() else None
    if previous is not None and pid_alive(previous.supervisor_pid):
        console.print(
            f"[red]ct up is already running for {escape(str(data_dir))} "
            f"(pid {previous.supervisor_pid})[/]"
        )
        return EXIT_USAGE
    plan = plan_ports(
        gateway_port=options.gateway_port,
        grpc_port_base=options.grpc_port_base,
        metrics_port_base=options.metrics_port_base,
        nats_port=None if environ.get("CT_NATS_URL") else options.nats_port,
        redis_port=None if environ.get("CT_REDIS_URL") else options.redis_port,
    )
    problems = port_problems(plan.bindings(options.only))
    if problems:
        for problem in problems:
            console.print(f"[red]cannot start: {escape(problem)}[/]")
        console.print(
            "choose other ports with the --*-port options (see `ct up --help`)", markup=False
        )
        return EXIT_USAGE
    launched_as = os.getpid()
    return run_in_own_session(
        lambda: _serve(options, plan, console, environ, data_dir=data_dir, pid=launched_as)
    )


def _serve(
    options: UpOptions,
    plan: PortPlan,
    console: Console,
    environ: Mapping[str, str],
    *,
    data_dir: Path,
    pid: int,
) -> int:
    output = PrefixedOutput(console, options.only)
    nats_url, redis_url = environ.get("CT_NATS_URL"), environ.get("CT_REDIS_URL")
    servers: list[EmbeddedServer] = []
    try:
        with _terminate_raises_interrupt():
            if plan.nats is not None:
                output.note(f"starting NATS (JetStream) on port {plan.nats}")
                logs = data_dir / "logs"
                logs.mkdir(parents=True, exist_ok=True)
                servers.append(start_nats(plan.nats, data_dir / "nats", log_file=logs / "nats.log"))
                nats_url = servers[-1].url
            if plan.redis is not None:
                output.note(f"starting Redis on port {plan.redis}")
                servers.append(start_redis(plan.redis, data_dir / "redis"))
                redis_url = servers[-1].url
            env = child_env(
                environ, plan, data_dir=data_dir, nats_url=str(nats_url), redis_url=str(redis_url)
            )
            supervisor = Supervisor(
                service_specs(options.only, env),
                output=output,
                state_file=state_path(data_dir),
                # The pid the user started: signalling it (or killing it) stops everything.
                state=PlatformState(
                    supervisor_pid=pid,
                    gateway_url=gateway_url(plan) if GATEWAY in options.only else None,
                    nats_url=nats_url,
                    redis_url=redis_url,
                ),
            )
            ready = [lambda: announce_when_ready(output, plan)] if GATEWAY in options.only else []
            asyncio.run(supervise(supervisor, background=ready))
    except ConfigurationError as error:
        output.note(f"cannot start: {error}", style="red")
        return EXIT_USAGE
    except KeyboardInterrupt:
        output.note("interrupted while starting")
    finally:
        # A second Ctrl-C must not leave the embedded servers running: this takes seconds at most.
        with _signals_ignored():
            for server in reversed(servers):
                output.note(f"stopping embedded {server.name}")
                server.stop()
    output.note("stopped")
    return 0
