"""The supervisor over small dummy children: restarts, stop order, no process left behind."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from crypto_trader.cli.output import PrefixedOutput
from crypto_trader.cli.state_file import PlatformState, pid_alive, read_state
from crypto_trader.cli.supervisor import Backoff, ServiceSpec, Supervisor

pytestmark = pytest.mark.integration

SLEEPER = "import time; print('ready', flush=True); time.sleep(120)"
# Says goodbye on SIGTERM, so the output shows the order children were stopped in.
POLITE = textwrap.dedent(
    """
    import signal, sys, time
    def bye(*_):
        print("bye", flush=True)
        sys.exit(0)
    signal.signal(signal.SIGTERM, bye)
    print("ready", flush=True)
    time.sleep(120)
    """
)
STUBBORN = textwrap.dedent(
    """
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(120)
    """
)
PARENT_OF_SLEEPER = textwrap.dedent(
    """
    import subprocess, time
    grandchild = subprocess.Popen(["sleep", "120"])
    print("grandchild", grandchild.pid, flush=True)
    time.sleep(120)
    """
)


def _spec(name: str, script: str) -> ServiceSpec:
    return ServiceSpec(name, [sys.executable, "-c", script])


class _Run:
    def __init__(self, tmp_path: Path, specs: list[ServiceSpec], **options: object) -> None:
        self.buffer = io.StringIO()
        self.state_file = tmp_path / "run" / "ct-up.json"
        self.supervisor = Supervisor(
            specs,
            output=PrefixedOutput(Console(file=self.buffer, width=200), [s.name for s in specs]),
            state_file=self.state_file,
            state=PlatformState(supervisor_pid=os.getpid()),
            **options,  # type: ignore[arg-type]
        )
        self.task: asyncio.Task[None] | None = None

    @property
    def text(self) -> str:
        return self.buffer.getvalue()

    def pid(self, name: str) -> int | None:
        state = read_state(self.state_file)
        return state.services[name].pid if state and name in state.services else None

    def restarts(self, name: str) -> int:
        state = read_state(self.state_file)
        return state.services[name].restarts if state else -1

    async def __aenter__(self) -> _Run:
        self.task = asyncio.create_task(self.supervisor.run())
        return self

    async def __aexit__(self, *_: object) -> None:
        self.supervisor.request_stop()
        assert self.task is not None
        await asyncio.wait_for(self.task, 20)


class TestRestarts:
    async def test_a_child_killed_with_sigkill_is_restarted_and_the_restart_logged(
        self, tmp_path: Path, eventually
    ) -> None:
        async with _Run(tmp_path, [_spec("execution", SLEEPER)]) as run:
            first = await eventually(lambda: run.pid("execution"))
            await eventually(lambda: "execution | ready" in run.text)

            os.kill(first, signal.SIGKILL)

            second = await eventually(
                lambda: run.pid("execution") not in (None, first) and run.pid("execution")
            )
            assert "execution exited with code -9; restart #1 in 0.5s" in run.text
            assert run.restarts("execution") == 1
            assert pid_alive(second)
        assert not pid_alive(second)

    async def test_repeated_crashes_wait_longer_each_time(self, tmp_path: Path, eventually) -> None:
        fast = lambda: Backoff(initial=0.05, maximum=0.2)  # noqa: E731 - a factory in one line
        crash = "import sys; sys.exit(3)"

        async with _Run(tmp_path, [_spec("risk", crash)], backoff=fast) as run:
            await eventually(lambda: "restart #4" in run.text)

        assert "risk exited with code 3; restart #1 in 0.05s" in run.text
        assert "restart #2 in 0.1s" in run.text
        assert "restart #3 in 0.2s" in run.text
        assert "restart #4 in 0.2s" in run.text

    async def test_a_command_that_cannot_start_is_retried(self, tmp_path: Path, eventually) -> None:
        spec = ServiceSpec("ghost", [str(tmp_path / "no-such-program")])

        async with _Run(tmp_path, [spec], backoff=lambda: Backoff(initial=0.05)) as run:
            await eventually(lambda: "restart #2" in run.text)

        assert "ghost could not start" in run.text
        assert "ghost exited with code None; restart #1 in 0.05s" in run.text


class TestStop:
    async def test_stops_gateway_first_and_the_worker_last(
        self, tmp_path: Path, eventually
    ) -> None:
        names = ["marketdata", "worker", "gateway", "execution"]
        async with _Run(tmp_path, [_spec(name, POLITE) for name in names]) as run:
            await eventually(lambda: run.text.count("| ready") == len(names))

        goodbyes = [line.split("|")[0].strip() for line in run.text.splitlines() if "| bye" in line]
        assert goodbyes == ["gateway", "execution", "marketdata", "worker"]

    async def test_kills_a_child_that_ignores_sigterm(self, tmp_path: Path, eventually) -> None:
        async with _Run(tmp_path, [_spec("stubborn", STUBBORN)], stop_timeout=0.5) as run:
            pid = await eventually(lambda: run.pid("stubborn"))
            await eventually(lambda: "stubborn | ready" in run.text)

        assert "stubborn did not stop within 0.5s; killing it" in run.text
        assert not pid_alive(pid)
        assert "restart" not in run.text

    async def test_leaves_no_grandchild_behind(self, tmp_path: Path, eventually) -> None:
        async with _Run(tmp_path, [_spec("pool", PARENT_OF_SLEEPER)]) as run:
            line = await eventually(
                lambda: next((x for x in run.text.splitlines() if "grandchild" in x), None)
            )
            grandchild = int(line.split()[-1])
            assert pid_alive(grandchild)

        assert not pid_alive(grandchild)

    async def test_removes_the_state_file(self, tmp_path: Path, eventually) -> None:
        async with _Run(tmp_path, [_spec("ml", SLEEPER)]) as run:
            await eventually(lambda: run.pid("ml"))
            assert read_state(run.state_file).supervisor_pid == os.getpid()

        assert not run.state_file.exists()


# A supervisor in its own process, as `ct up` runs it, so the tests can signal and kill it.
SUPERVISOR_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys
    from pathlib import Path
    from rich.console import Console
    from crypto_trader.cli.output import PrefixedOutput
    from crypto_trader.cli.state_file import PlatformState
    from crypto_trader.cli.supervisor import ServiceSpec, Supervisor, supervise

    sleeper = "import time; time.sleep(120)"
    names = ["gateway", "execution", "worker"]
    specs = [ServiceSpec(name, [sys.executable, "-c", sleeper]) for name in names]
    supervisor = Supervisor(
        specs,
        output=PrefixedOutput(Console(), names),
        state_file=Path(sys.argv[1]),
        state=PlatformState(supervisor_pid=os.getpid()),
    )
    asyncio.run(supervise(supervisor))
    """
)


def _start_supervisor(tmp_path: Path, wait_until) -> tuple[subprocess.Popen[str], Path, list[int]]:
    state_file = tmp_path / "ct-up.json"
    process = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR_SCRIPT, str(state_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def all_started() -> list[int] | None:
        state = read_state(state_file) if state_file.exists() else None
        pids = [s.pid for s in state.services.values()] if state else []
        return pids if pids and all(pids) else None

    pids = wait_until(all_started)
    return process, state_file, pids


class TestSupervisorProcess:
    def test_sigterm_stops_every_child_and_exits_zero(self, tmp_path: Path, wait_until) -> None:
        process, state_file, pids = _start_supervisor(tmp_path, wait_until)

        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)

        assert process.returncode == 0, output
        assert not any(pid_alive(pid) for pid in pids)
        assert not state_file.exists()
        assert "Traceback" not in output

    def test_children_do_not_outlive_a_killed_supervisor(self, tmp_path: Path, wait_until) -> None:
        process, _, pids = _start_supervisor(tmp_path, wait_until)

        process.kill()
        process.wait(timeout=10)

        wait_until(lambda: not any(pid_alive(pid) for pid in pids))
