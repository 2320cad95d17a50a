"""Start the whole platform with ``ct up`` as a child process and talk to it like a user would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from crypto_trader.common.embedded import free_port

SERVICES = ("marketdata", "strategy", "risk", "execution", "portfolio", "ml")


def _free_port_block(size: int) -> int:
    """A base port with ``size`` consecutive free ports above it."""
    from crypto_trader.common.embedded import port_is_free

    for _ in range(200):
        base = free_port()
        if base + size < 65000 and all(port_is_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no block of free ports")


@dataclass
class Platform:
    """A running ``ct up`` and the ports it was given."""

    data_dir: Path
    env: dict[str, str]
    gateway_port: int = field(default_factory=free_port)
    grpc_port_base: int = field(default_factory=lambda: _free_port_block(len(SERVICES)))
    metrics_port_base: int = field(default_factory=lambda: _free_port_block(len(SERVICES) + 1))
    nats_port: int = field(default_factory=free_port)
    redis_port: int = field(default_factory=free_port)
    # How ``ct`` is launched: the installed console script, or the repository's ./ct launcher.
    launcher: list[str] = field(default_factory=lambda: [str(Path(sys.executable).parent / "ct")])
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def grpc_addr(self, service: str) -> str:
        return f"127.0.0.1:{self.grpc_port_base + SERVICES.index(service)}"

    def metrics(self, service: str) -> str:
        port = self.metrics_port_base + SERVICES.index(service)
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text

    def start(self) -> None:
        command = [
            *self.launcher, "up",
            "--data-dir", str(self.data_dir),
            "--gateway-port", str(self.gateway_port),
            "--grpc-port-base", str(self.grpc_port_base),
            "--metrics-port-base", str(self.metrics_port_base),
            "--nats-port", str(self.nats_port),
            "--redis-port", str(self.redis_port),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._collect_output, daemon=True).start()

    def _collect_output(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))

    def log_text(self) -> str:
        return "\n".join(self.output)

    def state(self) -> dict[str, Any]:
        path = self.data_dir / "run" / "ct-up.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(self.url + path, params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def wait_until(self, what: str, check: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"ct up exited while waiting for {what}:\n{self.log_text()[-6000:]}"
                )
            try:
                if check():
                    return
            except (httpx.HTTPError, KeyError, ValueError) as error:
                last_error = error
            time.sleep(0.25)
        raise AssertionError(
            f"timed out waiting for {what} (last error: {last_error})\n{self.log_text()[-6000:]}"
        )

    def wait_healthy(self, timeout: float = 90) -> None:
        self.wait_until(
            "a healthy platform", lambda: self.get("/api/v1/health")["status"] == "ok", timeout
        )

    def stop(self, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                raise AssertionError(f"ct up did not stop within {timeout} s") from None
        return self.process.returncode
