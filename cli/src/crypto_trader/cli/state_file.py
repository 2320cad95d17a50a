"""The `ct up` state file (<data-dir>/run/ct-up.json): who runs where, replaced atomically."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ServiceState:
    """One supervised process: its current (or last) pid, how often it was restarted, since when."""

    pid: int | None
    restarts: int = 0
    started_ms: int = 0


@dataclass
class PlatformState:
    """What `ct up` publishes about itself for `ct status` and for tests."""

    supervisor_pid: int
    gateway_url: str | None = None
    nats_url: str | None = None
    redis_url: str | None = None
    services: dict[str, ServiceState] = field(default_factory=dict)

    def to_json(self) -> str:
        """Serialise as the documented JSON object."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> PlatformState:
        """Parse the JSON written by :meth:`to_json`; raise ValueError when it is not one."""
        try:
            raw: dict[str, Any] = json.loads(text)
            services = {
                name: ServiceState(
                    pid=entry.get("pid"),
                    restarts=int(entry.get("restarts", 0)),
                    started_ms=int(entry.get("started_ms", 0)),
                )
                for name, entry in raw.get("services", {}).items()
            }
            return cls(
                supervisor_pid=int(raw["supervisor_pid"]),
                gateway_url=raw.get("gateway_url"),
                nats_url=raw.get("nats_url"),
                redis_url=raw.get("redis_url"),
                services=services,
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a ct state file: {error}") from error


def state_path(data_dir: Path) -> Path:
    """Where `ct up` keeps its state file for a data directory."""
    return data_dir / "run" / "ct-up.json"


def write_state(path: Path, state: PlatformState) -> None:
    """Replace the file in one rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(state.to_json())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_state(path: Path) -> PlatformState | None:
    """Read the state file, or return None when there is none."""
    try:
        return PlatformState.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def pid_alive(pid: int | None) -> bool:
    """Tell whether a process with this pid exists and has not exited (a zombie has)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # Field 3 of /proc/<pid>/stat is the state; the command in field 2 may contain spaces.
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        # Without /proc (not Linux) kill(0) is all we know; with it, the process just went away.
        return not Path("/proc/self/stat").exists()
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")
