"""Run each platform process as a child, restart it with backoff when it dies, stop all in order."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any

from crypto_trader.cli.output import PrefixedOutput
from crypto_trader.cli.services import stop_stages
from crypto_trader.cli.state_file import PlatformState, ServiceState, write_state

_POLL_SECONDS = 0.05
_DRAIN_SECONDS = 1.0
_LINE_LIMIT = 1 << 20
_PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class ServiceSpec:
    """A process to supervise: its name, command line and complete environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None


@dataclass
class Backoff:
    """Delay before each restart: doubling from ``initial`` to ``maximum``, reset by a long run."""

    initial: float = 0.5
    maximum: float = 10.0
    factor: float = 2.0
    reset_after: float = 30.0
    _next: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._next = self.initial

    def delay_after(self, uptime: float) -> float:
        """Return how long to wait before restarting a process that ran ``uptime`` seconds."""
        if uptime >= self.reset_after:
            self._next = self.initial
        delay = self._next
        self._next = min(delay * self.factor, self.maximum)
        return delay


@dataclass
class _Child:
    spec: ServiceSpec
    backoff: Backoff
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_ms: int = 0

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def send(self, signum: int, *, group: bool = False) -> None:
        if self.process is None:
            return
        if group:
            _signal_group(self.process.pid, signum)
        else:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)


def _parent_death_signal() -> Callable[[], None] | None:
    if not sys.platform.startswith("linux"):
        return None
    # Resolved here, in the parent: between fork and exec the child should only make the call.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def arm() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before the signal was armed
            os.kill(os.getpid(), signal.SIGTERM)

    return arm


def _signal_group(pid: int, signum: int) -> None:
    # Each child leads its own process group, so this also reaches what it spawned.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


class Supervisor:
    """Keep every child running until asked to stop; keep the state file up to date."""

    def __init__(
        self,
        specs: Sequence[ServiceSpec],
        *,
        output: PrefixedOutput,
        state_file: Path,
        state: PlatformState,
        stop_timeout: float = 10.0,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self._children = [_Child(spec, backoff()) for spec in specs]
        self._output = output
        self._state_file = state_file
        self._state = state
        self._stop_timeout = stop_timeout
        self._stopping = asyncio.Event()
        self._preexec = _parent_death_signal()

    def request_stop(self) -> None:
        """Ask every child to stop; :meth:`run` returns once they have."""
        if not self._stopping.is_set():
            self._output.note("stopping…")
        self._stopping.set()

    async def run(self) -> None:
        """Start every child and supervise them until :meth:`request_stop`, then stop them all."""
        self._save()
        tasks = [asyncio.create_task(self._keep_running(child)) for child in self._children]
        try:
            await self._stopping.wait()
        finally:
            self._stopping.set()
            await self._stop_children(tasks)
            self._state_file.unlink(missing_ok=True)

    def _save(self) -> None:
        self._state.services = {
            child.spec.name: ServiceState(
                pid=child.process.pid if child.process else None,
                restarts=child.restarts,
                started_ms=child.started_ms,
            )
            for child in self._children
        }
        write_state(self._state_file, self._state)

    def _spawn(self, child: _Child) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - the commands are our own services
            list(child.spec.argv),
            env=dict(child.spec.env) if child.spec.env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            # Ctrl-C reaches the supervisor only, which then stops the children in order.
            start_new_session=True,
            preexec_fn=self._preexec,  # one prctl call, resolved before the fork
        )

    async def _keep_running(self, child: _Child) -> None:
        name = child.spec.name
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                process = self._spawn(child)
            except OSError as error:
                self._output.note(f"{name} could not start: {error}", style="red")
                code: int | None = None
            else:
                child.process = process
                child.started_ms = time.time_ns() // 1_000_000
                self._save()
                if self._stopping.is_set():  # stop began while this child was being started
                    process.terminate()
                code = await self._follow(name, process, process.stdout)
            if self._stopping.is_set():
                return
            delay = child.backoff.delay_after(time.monotonic() - started)
            child.restarts += 1
            self._output.note(
                f"{name} exited with code {code}; restart #{child.restarts} in {delay:g}s",
                style="yellow",
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), delay)

    async def _follow(
        self, name: str, process: subprocess.Popen[bytes], stdout: IO[bytes] | None
    ) -> int | None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=_LINE_LIMIT)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), stdout
        )
        pump = asyncio.create_task(self._print_lines(name, reader))
        try:
            # Polled rather than awaited: asyncio's own wait also waits for the pipe to close,
            # which a grandchild holding it open would delay forever.
            while process.poll() is None:
                await asyncio.sleep(_POLL_SECONDS)
            _signal_group(process.pid, signal.SIGKILL)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(pump), _DRAIN_SECONDS)
        finally:
            pump.cancel()
            transport.close()
        return process.returncode

    async def _print_lines(self, name: str, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                raw = await reader.readline()
            except ValueError:
                self._output.line(name, f"[a line longer than {_LINE_LIMIT} bytes was dropped]")
                continue
            if not raw:
                return
            self._output.line(name, raw.decode("utf-8", errors="replace").rstrip("\r\n"))

    async def _stop_children(self, tasks: list[asyncio.Task[None]]) -> None:
        deadline = time.monotonic() + self._stop_timeout
        by_name = {child.spec.name: child for child in self._children}
        stages = stop_stages([child.spec.name for child in self._children])
        for index, stage in enumerate(stages):
            members = [by_name[name] for name in stage if by_name[name].running()]
            for child in members:
                child.send(signal.SIGTERM)
            # Each stage may use its share of the time left (a quick stage leaves more for the
            # next); one still stopping after its share keeps stopping while the next begins.
            stage_end = time.monotonic() + (deadline - time.monotonic()) / (len(stages) - index)
            while any(child.running() for child in members) and time.monotonic() < stage_end:
                await asyncio.sleep(_POLL_SECONDS)
        if tasks:
            await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
        for child in self._children:
            if child.running():
                self._output.note(
                    f"{child.spec.name} did not stop within {self._stop_timeout:g}s; killing it",
                    style="red",
                )
                child.send(signal.SIGKILL, group=True)
        await asyncio.gather(*tasks, return_exceptions=True)


async def supervise(
    supervisor: Supervisor, *, background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = ()
) -> None:
    """Run the supervisor with SIGTERM, SIGINT and SIGHUP wired to a clean stop."""
    loop = asyncio.get_running_loop()
    for signum in _STOP_SIGNALS:
        loop.add_signal_handler(signum, supervisor.request_stop)
    jobs = [asyncio.create_task(job()) for job in background]
    try:
        await supervisor.run()
    finally:
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        for signum in _STOP_SIGNALS:
            loop.remove_signal_handler(signum)


def run_in_own_session(body: Callable[[], int]) -> int:
    """Run ``body`` in a forked child that leads its own session; relay stop signals to it.

    A terminal's Ctrl-C signals its whole foreground process group. Without this, the embedded
    NATS and Redis servers would get it too and stop before the services that still need them;
    here only this process gets it and turns it into one SIGTERM for the child, which stops the
    services in order and the servers last. If this process is killed, the child gets SIGTERM
    (parent-death signal) and still stops everything cleanly.
    """
    arm = _parent_death_signal()
    sys.stdout.flush()
    sys.stderr.flush()
    # Held back until the relay below is in place, so no stop signal falls between fork and it.
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child; the tests observe its effects
        code = 1
        try:
            os.setsid()
            if arm is not None:
                arm()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
            code = body()
        except BaseException:  # the child must never return into the caller's code
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def relay(_signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGTERM)

    previous = {signum: signal.signal(signum, relay) for signum in _STOP_SIGNALS}
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    try:
        _, status = os.waitpid(child, 0)  # retried after each relayed signal (PEP 475)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code  # killed by signal N: exit 128 + N, as shells do
