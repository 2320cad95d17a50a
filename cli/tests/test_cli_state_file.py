import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_trader.cli.state_file import (
    PlatformState,
    ServiceState,
    pid_alive,
    read_state,
    state_path,
    write_state,
)


def _state() -> PlatformState:
    return PlatformState(
        supervisor_pid=1234,
        gateway_url="http://127.0.0.1:8000",
        nats_url="nats://127.0.0.1:14222",
        redis_url="redis://127.0.0.1:16379/0",
        services={"execution": ServiceState(pid=4321, restarts=2, started_ms=1_700_000_000_000)},
    )


class TestStateFile:
    def test_lives_under_the_run_folder_of_the_data_dir(self, tmp_path: Path) -> None:
        assert state_path(tmp_path) == tmp_path / "run" / "ct-up.json"

    def test_round_trips(self, tmp_path: Path) -> None:
        path = state_path(tmp_path)

        write_state(path, _state())

        assert read_state(path) == _state()

    def test_has_the_documented_json_shape(self, tmp_path: Path) -> None:
        path = state_path(tmp_path)
        write_state(path, _state())

        assert json.loads(path.read_text()) == {
            "supervisor_pid": 1234,
            "gateway_url": "http://127.0.0.1:8000",
            "nats_url": "nats://127.0.0.1:14222",
            "redis_url": "redis://127.0.0.1:16379/0",
            "services": {
                "execution": {"pid": 4321, "restarts": 2, "started_ms": 1_700_000_000_000}
            },
        }

    def test_rewrite_replaces_the_file_and_leaves_no_temporary_behind(self, tmp_path: Path) -> None:
        path = state_path(tmp_path)
        write_state(path, _state())
        changed = _state()
        changed.services["execution"] = ServiceState(pid=999, restarts=3, started_ms=1)

        write_state(path, changed)

        assert read_state(path) == changed
        assert os.listdir(path.parent) == ["ct-up.json"]

    def test_missing_file_reads_as_none(self, tmp_path: Path) -> None:
        assert read_state(state_path(tmp_path)) is None

    def test_garbage_is_rejected(self, tmp_path: Path) -> None:
        path = tmp_path / "ct-up.json"
        path.write_text("{not json")

        with pytest.raises(ValueError, match="not a ct state file"):
            read_state(path)


class TestPidAlive:
    def test_this_process_is_alive(self) -> None:
        assert pid_alive(os.getpid())

    def test_no_pid_is_not_alive(self) -> None:
        assert not pid_alive(None)
        assert not pid_alive(0)

    def test_an_exited_unreaped_child_is_not_alive(self, wait_until) -> None:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        try:
            wait_until(lambda: not pid_alive(child.pid))  # a zombie until waited for
        finally:
            child.wait()
        assert not pid_alive(child.pid)
