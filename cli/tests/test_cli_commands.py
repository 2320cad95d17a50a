"""The `ct` commands as a user runs them: clear one-line errors and exit code 2 on bad input."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crypto_trader.cli.main import app
from crypto_trader.cli.state_file import (
    PlatformState,
    ServiceState,
    pid_alive,
    read_state,
    state_path,
    write_state,
)
from crypto_trader.common.embedded import port_is_free

runner = CliRunner()


def _ct(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crypto_trader.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def _up_args(tmp_path: Path, free_ports, **ports: int) -> list[str]:
    base = free_ports(16)
    chosen = {
        "gateway-port": base,
        "grpc-port-base": base + 1,
        "nats-port": base + 7,
        "redis-port": base + 8,
        "metrics-port-base": base + 9,
    } | {name.replace("_", "-"): port for name, port in ports.items()}
    args = ["up", "--data-dir", str(tmp_path / "var")]
    for name, port in chosen.items():
        args += [f"--{name}", str(port)]
    return args


class TestUp:
    def test_a_busy_port_stops_everything_with_a_clear_message(
        self, tmp_path: Path, free_ports
    ) -> None:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", 0))
            squatter.listen()
            busy = squatter.getsockname()[1]

            result = _ct(*_up_args(tmp_path, free_ports, gateway_port=busy))

        assert result.returncode == 2
        assert f"port {busy} for the gateway (HTTP) is already in use" in result.stdout
        assert "Traceback" not in result.stdout + result.stderr
        assert not state_path(tmp_path / "var").exists()

    def test_names_a_busy_grpc_port(self, tmp_path: Path, free_ports) -> None:
        base = free_ports(6)
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", base + 3))
            squatter.listen()

            result = _ct(*_up_args(tmp_path, free_ports, grpc_port_base=base))

        assert result.returncode == 2
        assert f"port {base + 3} for execution gRPC is already in use" in result.stdout

    def test_unknown_service_in_only_lists_the_valid_ones(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["up", "--data-dir", str(tmp_path), "--only", "gateway,riks"])

        assert result.exit_code == 2
        assert "unknown service riks; valid: marketdata, strategy, risk" in result.output

    def test_refuses_to_start_twice_on_one_data_dir(self, tmp_path: Path) -> None:
        write_state(state_path(tmp_path), PlatformState(supervisor_pid=os.getpid()))

        result = runner.invoke(app, ["up", "--data-dir", str(tmp_path)])

        assert result.exit_code == 2
        assert f"already running for {tmp_path.resolve()} (pid {os.getpid()})" in result.output


class _Platform:
    """`ct up --only ml` with embedded NATS and Redis, started as a user would."""

    def __init__(self, tmp_path: Path, free_ports, wait_until) -> None:
        args = _up_args(tmp_path, free_ports) + ["--only", "ml"]
        self.grpc_ml = int(args[args.index("--grpc-port-base") + 1]) + 5
        self.ports = [self.grpc_ml] + [
            int(args[args.index(option) + 1]) for option in ("--nats-port", "--redis-port")
        ]
        env = {k: v for k, v in os.environ.items() if k not in ("CT_NATS_URL", "CT_REDIS_URL")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "crypto_trader.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # its own process group, as a shell job has
        )
        self.state_file = state_path(tmp_path / "var")
        try:
            self.state = wait_until(lambda: read_state(self.state_file), timeout=30)
            self.ml_pid = wait_until(lambda: read_state(self.state_file).services["ml"].pid)
            wait_until(lambda: not port_is_free(self.grpc_ml), timeout=30)
        except BaseException:
            self.process.kill()
            raise

    def finish(self) -> str:
        output, _ = self.process.communicate(timeout=30)
        return output


@pytest.mark.integration
class TestUpWithEmbeddedServers:
    def test_records_itself_and_its_servers_in_the_state_file(
        self, tmp_path: Path, free_ports, wait_until
    ) -> None:
        platform = _Platform(tmp_path, free_ports, wait_until)
        platform.process.send_signal(signal.SIGTERM)
        platform.finish()

        assert platform.state.supervisor_pid == platform.process.pid
        assert platform.state.nats_url == f"nats://127.0.0.1:{platform.ports[1]}"
        assert platform.state.redis_url == f"redis://127.0.0.1:{platform.ports[2]}/0"
        assert platform.state.gateway_url is None

    def test_sigterm_stops_services_and_servers_and_leaves_no_port_open(
        self, tmp_path: Path, free_ports, wait_until
    ) -> None:
        platform = _Platform(tmp_path, free_ports, wait_until)

        platform.process.send_signal(signal.SIGTERM)
        output = platform.finish()

        assert platform.process.returncode == 0, output
        assert not pid_alive(platform.ml_pid)
        assert not platform.state_file.exists()
        assert all(port_is_free(port) for port in platform.ports)
        assert "Traceback" not in output

    def test_ctrl_c_stops_the_services_before_the_servers_they_need(
        self, tmp_path: Path, free_ports, wait_until
    ) -> None:
        platform = _Platform(tmp_path, free_ports, wait_until)

        # A terminal's Ctrl-C signals the whole foreground process group.
        os.killpg(platform.process.pid, signal.SIGINT)
        output = platform.finish()

        assert platform.process.returncode == 0, output
        assert "Connect call failed" not in output  # NATS was still up while ml stopped
        assert "killing it" not in output
        assert output.rindex("\nml ") < output.index("stopping embedded nats")
        assert all(port_is_free(port) for port in platform.ports)

    def test_killing_ct_up_still_stops_everything(
        self, tmp_path: Path, free_ports, wait_until
    ) -> None:
        platform = _Platform(tmp_path, free_ports, wait_until)

        platform.process.kill()
        platform.finish()

        wait_until(lambda: not pid_alive(platform.ml_pid), timeout=15)
        wait_until(lambda: all(port_is_free(port) for port in platform.ports), timeout=15)
        wait_until(lambda: not platform.state_file.exists(), timeout=15)


class TestRun:
    def test_unknown_service_lists_the_valid_ones(self) -> None:
        result = _ct("run", "riks")

        assert result.returncode == 2
        assert "unknown service 'riks'; valid: marketdata, strategy, risk" in result.stderr
        assert "Traceback" not in result.stderr


class TestStatus:
    def test_says_when_the_platform_is_not_running(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["status", "--data-dir", str(tmp_path)])

        assert result.exit_code == 1
        assert "The platform is not running" in result.output

    def test_says_when_the_state_file_is_stale(self, tmp_path: Path) -> None:
        gone = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
        )
        write_state(state_path(tmp_path), PlatformState(supervisor_pid=int(gone.stdout)))

        result = runner.invoke(app, ["status", "--data-dir", str(tmp_path)])

        assert result.exit_code == 1
        assert "is gone" in result.output

    def test_lists_each_process_with_its_pid_and_restarts(self, tmp_path: Path) -> None:
        services = {
            "execution": ServiceState(pid=os.getpid(), restarts=2, started_ms=1),
            "risk": ServiceState(pid=None, restarts=0, started_ms=0),
        }
        write_state(
            state_path(tmp_path), PlatformState(supervisor_pid=os.getpid(), services=services)
        )

        result = runner.invoke(app, ["status", "--data-dir", str(tmp_path)])

        assert result.exit_code == 0
        rows = {
            line.split()[1]: line.split()[1:] for line in result.output.splitlines() if "│" in line
        }
        assert rows["execution"][:8] == [
            "execution",
            "│",
            str(os.getpid()),
            "│",
            "yes",
            "│",
            "2",
            "│",
        ]
        assert rows["risk"] == ["risk", "│", "-", "│", "no", "│", "0", "│", "-", "│"]


class TestDataImport:
    def _import(self, tmp_path: Path, file: Path, *options: str):
        return runner.invoke(
            app, ["data", "import", str(file), "--data-dir", str(tmp_path), *options]
        )

    def test_missing_file_is_a_one_line_error(self, tmp_path: Path) -> None:
        result = self._import(tmp_path, tmp_path / "nope.csv")

        assert result.exit_code == 2
        assert result.output.strip() == f"error: no such file: {tmp_path / 'nope.csv'}"

    def test_bad_symbol_is_a_one_line_error(self, tmp_path: Path) -> None:
        file = tmp_path / "candles.csv"
        file.write_text("")

        result = self._import(tmp_path, file, "--symbol", "BTCUSDT")

        assert result.exit_code == 2
        assert "symbol must look like BASE/QUOTE" in result.output
        assert len(result.output.strip().splitlines()) == 1

    def test_bad_timeframe_is_a_one_line_error(self, tmp_path: Path) -> None:
        file = tmp_path / "candles.csv"
        file.write_text("")

        result = self._import(tmp_path, file, "--timeframe", "7x")

        assert result.exit_code == 2
        assert "unknown timeframe '7x'" in result.output

    @pytest.mark.integration
    def test_imports_real_candles_once_and_reports_what_it_did(
        self, tmp_path: Path, shared_data_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("CT_DATABASE_URL", raising=False)
        file = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-1h.json"
        options = ("--exchange", "binance", "--symbol", "BTC/USDT", "--timeframe", "1h")

        first = self._import(tmp_path, file, *options)
        second = self._import(tmp_path, file, *options)

        assert first.exit_code == 0, first.output
        assert (
            "binance BTC/USDT 1h from BTC_USDT-1h.json: "
            "read 5482, stored 5482, duplicates 0, rejected 0" in first.output
        )
        assert "candles from 2020-12-01 00:00 UTC" in first.output
        assert "read 5482, stored 0, duplicates 5482, rejected 0" in second.output
        assert (tmp_path / "marketdata.db").is_file()
