"""Every command the README shows, run as a user types it.

The README is kept true by running its commands: each shell command it shows (```bash blocks and
inline code spans starting with `./ct`, `ct`, `python` or a script) is either run here, word for
word, or listed in NOT_RUN with the reason and the test that covers it instead. A new command in
the README fails `test_every_readme_command_is_run_or_accounted_for` until it is handled here.

Only the README's file names are replaced, by the real exchange files they stand for (or files in
the test's own directory); every command runs in a fresh directory with no `CT_*` setting of the
developer, so `var/` and every database are the test's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crypto_trader.cli.state_file import PlatformState, ServiceState, state_path, write_state
from crypto_trader.common.embedded import free_port
from crypto_trader.marketdata.adapters.exchanges.testing import StandInExchange

README = Path(__file__).resolve().parents[2] / "README.md"
_CT = Path(sys.executable).with_name("ct")
# The installed `ct` entry point (what ./ct runs once .venv is installed) and the interpreter.
PROGRAMS = {
    "./ct": [str(_CT)] if _CT.is_file() else [sys.executable, "-m", "crypto_trader.cli"],
    "python": [sys.executable],
}

# Commands that are not run here, why, and where they are covered instead.
NOT_RUN = {
    "./ct up": "starts the whole platform until Ctrl-C: tests/e2e/test_e2e_first_run.py runs the "
    "repository's launcher with defaults and waits for a paper fill",
    "./ct test": "runs the whole test suite (this file included): CI runs it (.ci/run)",
    "./ct data import": "named in the list of data tools; its full forms above are run here",
    "python -m crypto_trader.<name>": "the pattern every service runs by: `ct up` starts each "
    "service so (tests/e2e), and `python -m crypto_trader.risk` is run here",
    "scripts/gen_proto.sh": "tests/contracts/test_contracts_generated_code.py runs it and compares "
    "the output with libs/contracts",
}

# What the README's file names stand for: files of the shared exchange data (see its README).
SHARED_FILES = {
    "BTC_USDT-5m.json": "nostalgiaforinfinity/binance/BTC_USDT-5m.json",
    "ETH_USDT-5m.json": "nostalgiaforinfinity/binance/ETH_USDT-5m.json",
    "XRP_ETH-trades.feather": "freqtrade/XRP_ETH-trades.feather",
}
# The first candle `./ct data download --since 2024-01-01` asks for; the stand-in exchange's
# clock stops half an hour later, so the download is short.
DOWNLOAD_SINCE_MS = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)
MINUTE = 60_000


# ------------------------------------------------------------------------------- extraction

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
_SPAN = re.compile(r"`([^`]+)`")
_COMMAND = re.compile(r"^(\./ct|ct|python)\s|^[\w./-]+\.sh(\s|$)")


def readme_commands(text: str) -> list[str]:
    """Return every shell command of a README, once each, in order of appearance.

    Lines of ```bash blocks and inline code spans that start with `./ct`, `ct`, `python` or a
    script; a span wrapped across lines is one command. `ct ...` is the same entry point as
    `./ct ...` once installed, so it is reported as `./ct ...`.
    """
    commands: list[str] = []
    for fence in _FENCE.finditer(text):
        if fence.group(1) in ("bash", "sh", "shell", "console"):
            lines = (line.strip().removeprefix("$ ") for line in fence.group(2).splitlines())
            commands += [line for line in lines if line and not line.startswith("#")]
    for span in _SPAN.finditer(_FENCE.sub("", text)):
        words = " ".join(span.group(1).split())
        if _COMMAND.match(words):
            commands.append(words)
    normalised = (
        "./" + command if re.match(r"ct(\s|$)", command) else command for command in commands
    )
    return list(dict.fromkeys(normalised))


def test_extraction_finds_blocks_and_spans_wrapped_across_lines() -> None:
    text = (
        "Start:\n\n```bash\n./ct up\n# a comment\n./ct test\n```\n\n```\n./ct not-shell\n```\n"
        "Run `./ct backtest --data A.json\n  --fee 0.001` or `ct status`; `python -m x` too,\n"
        "`scripts/gen.sh` regenerates, `CT_X=true` and `GET /api` are not commands.\n"
    )

    assert readme_commands(text) == [
        "./ct up",
        "./ct test",
        "./ct backtest --data A.json --fee 0.001",
        "./ct status",
        "python -m x",
        "scripts/gen.sh",
    ]


# ---------------------------------------------------------------------------------- running


@dataclass
class Run:
    """One README command run in its own directory: the files it names and its environment."""

    command: str
    cwd: Path
    files: dict[str, Path]
    env: dict[str, str] = field(default_factory=dict)

    def argv(self) -> list[str]:
        program, *words = shlex.split(self.command)
        return [*PROGRAMS[program], *(self._file(word) for word in words)]

    def _file(self, word: str) -> str:
        # A file name alone, or after `SYMBOL=` as in `--data BTC/USDT=BTC_USDT-5m.json`.
        prefix, _, name = word.rpartition("=")
        if name in self.files:
            return f"{prefix}={self.files[name]}" if prefix else str(self.files[name])
        return word

    def environ(self) -> dict[str, str]:
        own = {name: value for name, value in os.environ.items() if not name.startswith("CT_")}
        data_dir = self.cwd / "var"
        return own | {"CT_DATA_DIR": str(data_dir), "COLUMNS": "200"} | self.env

    def __call__(self, timeout: float = 60) -> str:
        """Run the command to its end; assert it succeeds and return its output."""
        result = subprocess.run(
            self.argv(),
            cwd=self.cwd,
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{self.command!r} exited {result.returncode}:\n{output}"
        assert "Traceback" not in output, output
        return output

    def also(self, command: str) -> str:
        """Run another README command in the same directory (to give this one data to work on)."""
        return Run(command, self.cwd, self.files, self.env)()


@pytest.fixture
def make_run(tmp_path: Path, shared_data_dir: Path) -> Callable[[str], Run]:
    files = {name: shared_data_dir / path for name, path in SHARED_FILES.items()}
    files |= {"result.json": tmp_path / "result.json", "report.html": tmp_path / "report.html"}
    for path in files.values():
        assert path.parent.is_dir(), path

    def make(command: str) -> Run:
        return Run(command, tmp_path, dict(files))

    return make


CHECKS: dict[str, Callable[[Run, pytest.FixtureRequest], None]] = {}


def checks(*commands: str) -> Callable[[Callable[[Run, pytest.FixtureRequest], None]], object]:
    def register(check: Callable[[Run, pytest.FixtureRequest], None]) -> object:
        for command in commands:
            CHECKS[command] = check
        return check

    return register


IMPORT_CANDLES = (
    "./ct data import BTC_USDT-5m.json --exchange binance --symbol BTC/USDT --timeframe 5m"
)
BACKTEST = (
    "./ct backtest --data BTC_USDT-5m.json --strategy sma_cross --param fast=20 --param slow=50 "
    "--fee 0.001 --cash 10000 --output result.json --report report.html"
)
PORTFOLIO_BACKTEST = (
    "./ct backtest --data BTC/USDT=BTC_USDT-5m.json --data ETH/USDT=ETH_USDT-5m.json --sizing "
    "fraction_of_equity --sizing-value 0.5"
)
OPTIMISE = (
    "./ct optimise --data FILE --strategy sma_cross --param-range fast=5:50:5 --param-range "
    "slow=20:200:10 --walk-forward 5000:2000"
)
DOWNLOAD = "./ct data download --since 2024-01-01"


@checks(IMPORT_CANDLES)
def _import_candles(run: Run, request: pytest.FixtureRequest) -> None:
    output = run()

    assert (
        "binance BTC/USDT 5m from BTC_USDT-5m.json: read 65741, stored 65741, duplicates 0, "
        "rejected 0" in output
    )
    assert (run.cwd / "var" / "marketdata.db").is_file()


@checks("./ct data import XRP_ETH-trades.feather --symbol XRP/ETH")
def _import_trades(run: Run, request: pytest.FixtureRequest) -> None:
    output = run()

    assert "binance XRP/ETH trades from XRP_ETH-trades.feather: read 12477, stored 12477" in output


@checks(BACKTEST)
def _backtest(run: Run, request: pytest.FixtureRequest) -> None:
    output = run()

    result = json.loads(run.files["result.json"].read_text())
    assert result["candles"] == 65741
    assert result["final_equity"] > 0 and result["final_equity"] != result["initial_cash"]
    assert len(result["trades"]) == result["metrics"]["trades"] > 0
    assert f"{len(result['trades'])} closed trades" in output
    report = run.files["report.html"].read_text()
    assert report.startswith("<!DOCTYPE html>") and "sma_cross" in report


@checks(PORTFOLIO_BACKTEST)
def _portfolio_backtest(run: Run, request: pytest.FixtureRequest) -> None:
    output = run()

    assert "per symbol (one cash balance)" in output
    assert re.search(r"│ BTC/USDT +│ +\d+", output) and re.search(r"│ ETH/USDT +│ +\d+", output)
    assert "final equity" in output and "65741 candles per symbol" in output


@checks(OPTIMISE)
def _optimise(run: Run, request: pytest.FixtureRequest) -> None:
    # FILE is the full BTC/USDT 5m file: the 190-point grid over its 30 walk-forward windows takes
    # a few seconds, so no shorter slice is needed.
    run.files["FILE"] = run.files["BTC_USDT-5m.json"]

    output = run(timeout=120)

    assert "walk-forward: in-sample vs out-of-sample" in output
    assert re.search(r"run \w+: \d+ trials .*best params fast=\d+, slow=\d+", output), output
    assert (run.cwd / "var" / "strategy.db").is_file()


@checks("./ct status")
def _status(run: Run, request: pytest.FixtureRequest) -> None:
    # A running platform as `ct up` records it, with this test process as its supervisor and risk
    # service (starting the real platform is the first-run test's job).
    services = {"risk": ServiceState(pid=os.getpid(), restarts=1, started_ms=1)}
    platform = PlatformState(supervisor_pid=os.getpid(), services=services)
    write_state(state_path(run.cwd / "var"), platform)

    output = run()

    assert re.search(rf"│ risk +│ {os.getpid()} +│ yes +│ 1 ", output), output


@checks("./ct up --help")
def _up_help(run: Run, request: pytest.FixtureRequest) -> None:
    output = run()

    for port in ("8000", "50051", "9101", "14222", "16379"):
        assert f"[default: {port}]" in output


@contextmanager
def _stand_in_exchange(now_ms: int) -> Iterator[StandInExchange]:
    # The exchange's public REST API on 127.0.0.1, served from a loop in a thread while `ct`
    # runs in its own process.
    server = StandInExchange("binance", lambda: now_ms)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


def _download_from_stand_in(run: Run) -> str:
    """Run the README's download against the stand-in exchange; return its output."""
    with _stand_in_exchange(DOWNLOAD_SINCE_MS + 30 * MINUTE) as exchange:
        # The setting `ct data download` reads to reach an exchange at another address (the
        # cli download tests use it too): the command itself is unchanged.
        run.env["CT_MARKETDATA_EXCHANGE_API_BASE_URL"] = exchange.url
        return run.also(DOWNLOAD)


@checks(DOWNLOAD)
def _download(run: Run, request: pytest.FixtureRequest) -> None:
    output = _download_from_stand_in(run)

    assert "binance BTC/USDT 1m: 30 new candles, stored up to 2024-01-01 00:29" in output


@checks("./ct data export FILE")
def _export(run: Run, request: pytest.FixtureRequest) -> None:
    run.files["FILE"] = run.cwd / "BTC_USDT-1m.csv"
    _download_from_stand_in(run)

    output = run()

    assert "binance BTC/USDT 1m: exported 30 candles to" in output
    lines = run.files["FILE"].read_text().splitlines()
    assert lines[0] == "open_time,open,high,low,close,volume" and len(lines) == 31
    assert lines[1].startswith(f"{DOWNLOAD_SINCE_MS},")


@checks("./ct data list")
def _list(run: Run, request: pytest.FixtureRequest) -> None:
    run.also(IMPORT_CANDLES)

    output = run()

    row = r"│ binance BTC/USDT 5m +│ 2020-12-01 00:00 +│ 2021-07-17 21:05 +│ +65,741 │ +6 │ +177 │"
    assert re.search(row, output), output


@checks("./ct data check FILE")
def _check(run: Run, request: pytest.FixtureRequest) -> None:
    run.files["FILE"] = run.files["BTC_USDT-5m.json"]

    output = run()

    assert "binance BTC/USDT 5m: 65,741 rows checked" in output
    assert "no malformed rows" in output


def _serve_until_healthy(run: Run, request: pytest.FixtureRequest) -> None:
    """Start the risk service, wait for its gRPC health check to say SERVING, then SIGTERM it."""
    port = free_port()
    run.env |= {
        "CT_NATS_URL": request.getfixturevalue("nats_url"),
        "CT_SUBJECT_ROOT": request.getfixturevalue("run_root"),
        "CT_RISK_GRPC_PORT": str(port),
        "CT_RISK_METRICS_PORT": "0",
    }
    process = subprocess.Popen(
        run.argv(),
        cwd=run.cwd,
        env=run.environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 30
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            while status != health_pb2.HealthCheckResponse.SERVING and time.monotonic() < deadline:
                try:
                    status = health.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                except grpc.RpcError:
                    time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert status == health_pb2.HealthCheckResponse.SERVING, output
    assert process.returncode == 0, output


checks("./ct run risk", "python -m crypto_trader.risk")(_serve_until_healthy)


# ------------------------------------------------------------------------------------ tests


def test_every_readme_command_is_run_or_accounted_for() -> None:
    commands = readme_commands(README.read_text(encoding="utf-8"))
    handled = CHECKS.keys() | NOT_RUN.keys()

    new = [command for command in commands if command not in handled]
    gone = sorted(command for command in handled if command not in commands)

    assert not new, f"README commands no test runs (add them to {Path(__file__).name}): {new}"
    assert not gone, f"handled here but no longer in the README (remove them): {gone}"
    assert "./ct up" in commands and "./ct test" in commands


def test_commands_named_only_are_run_in_full_elsewhere_in_the_readme() -> None:
    commands = readme_commands(README.read_text(encoding="utf-8"))

    for named in ("./ct data import",):
        assert any(command.startswith(named + " ") for command in CHECKS if command in commands)


_SERVICE_RUNS = {"./ct run risk", "python -m crypto_trader.risk"}


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(
            command,
            marks=[pytest.mark.integration] if command in _SERVICE_RUNS else [],
            id=command if len(command) <= 40 else command[:40] + "...",
        )
        for command in CHECKS
    ],
)
def test_readme_command_runs_as_written(
    command: str, make_run: Callable[[str], Run], request: pytest.FixtureRequest
) -> None:
    assert command in readme_commands(README.read_text(encoding="utf-8")), "not in the README"

    CHECKS[command](make_run(command), request)
