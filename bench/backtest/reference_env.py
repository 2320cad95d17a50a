"""Run vectorbt on the bench's candles in its own cached virtualenv and time its engines.

vectorbt 1.2 needs pandas >= 3, which the product's environment does not have, so the bench
keeps it in bench/.reference-venv (created once with ``python -m venv`` and
requirements-reference.txt). The parent bench saves its candles to a temporary .npz file and
runs this same file inside that environment as a worker; the worker times vectorbt's numba and
rust engines (JIT and warm-up excluded) and answers with JSON on stdout.

Only the standard library is imported at module level: the worker side imports numpy, pandas
and vectorbt from the reference environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV = HERE.parent / ".reference-venv"
REQUIREMENTS = HERE / "requirements-reference.txt"
_STAMP = VENV / ".requirements-sha256"
ENGINES = ("numba", "rust")
_WORKER_TIMEOUT_S = 1800


class ReferenceUnavailable(Exception):
    """The reference environment or a library in it cannot be used; the message says why."""


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_environment() -> Path:
    """Create and fill the reference virtualenv once; return its python.

    Raises
    ------
    ReferenceUnavailable
        When the virtualenv cannot be created or the requirements cannot be installed.
    """
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if _python().exists() and _STAMP.exists() and _STAMP.read_text().strip() == wanted:
        return _python()
    print(f"creating the reference environment in {VENV} (once) …", flush=True)  # noqa: T201
    steps = [
        ("python -m venv", [sys.executable, "-m", "venv", str(VENV)]),
        ("pip install", [str(_python()), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]),
    ]
    for label, step in steps:
        try:
            # Fixed commands: venv creation and pip from our own requirements file.
            done = subprocess.run(  # noqa: S603
                step, capture_output=True, text=True, timeout=_WORKER_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise ReferenceUnavailable(f"{label} failed: {error}") from None
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            errors = [line for line in lines if "ERROR" in line] or lines[-1:]
            reason = errors[0].strip() if errors else f"exit code {done.returncode}"
            raise ReferenceUnavailable(f"{label} failed: {reason}")
    _STAMP.write_text(wanted)
    return _python()


def vectorbt_runs(
    open_time_ms: Any, opens: Any, close: Any, *, fast: int, slow: int, fee: float, cash: float
) -> tuple[list[tuple[str, float, int, float]], list[str]]:
    """Time vectorbt's engines on these candles in the reference environment.

    Returns (rows of (name, seconds, closed trades, final equity), one-line notes on what could
    not run). Never raises: a missing environment becomes a note.
    """
    try:
        python = ensure_environment()
    except ReferenceUnavailable as error:
        return [], [f"vectorbt: reference environment unavailable: {error}"]
    import numpy as np  # the parent bench's numpy: only to write the candles

    with tempfile.TemporaryDirectory(prefix="ct-bench-") as folder:
        candles = Path(folder) / "candles.npz"
        np.savez(candles, open_time_ms=open_time_ms, open=opens, close=close)
        command = [str(python), str(Path(__file__).resolve()), "--worker", str(candles)]
        for name, value in (("fast", fast), ("slow", slow), ("fee", fee), ("cash", cash)):
            command += [f"--{name}", str(value)]
        try:
            done = subprocess.run(  # noqa: S603 - this file as worker, fixed arguments
                command, capture_output=True, text=True, timeout=_WORKER_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return [], [f"vectorbt: worker failed: {error}"]
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [], [f"vectorbt: worker failed: {tail}"]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    rows = [
        (f"vectorbt {run['engine']}", run["seconds"], run["trades"], run["final_equity"])
        for run in answer["runs"]
    ]
    return rows, [f"vectorbt {answer['version']}: {note}" for note in answer["notes"]]


# ------------------------------------------------------------------------------- worker side


def _simulate(vbt: Any, pd: Any, np: Any, data: dict[str, Any], engine: str) -> tuple[int, float]:
    close, opens = data["close"], data["open"]
    fast = vbt.MA.run(close, data["fast"], engine=engine).ma.to_numpy()
    slow = vbt.MA.run(close, data["slow"], engine=engine).ma.to_numpy()
    with np.errstate(invalid="ignore"):
        sign = np.sign(fast - slow)  # NaN until the slow average exists
    before = np.concatenate(([np.nan], sign[:-1]))
    with np.errstate(invalid="ignore"):
        entries = (before <= 0) & (sign > 0)
        exits = (before >= 0) & (sign < 0)
    # The engine decides on a candle's close and fills at the next candle's open.
    entries = pd.Series(np.concatenate(([False], entries[:-1])), index=close.index)
    exits = pd.Series(np.concatenate(([False], exits[:-1])), index=close.index)
    portfolio = vbt.Portfolio.from_signals(
        close,
        entries,
        exits,
        price=opens,
        fees=data["fee"],
        init_cash=data["cash"],
        freq="1min",
        engine=engine,
    )
    return int(portfolio.trades.closed.count()), float(portfolio.final_value())


def _worker(arguments: list[str]) -> None:
    import argparse

    import numpy as np
    import pandas as pd
    import vectorbt as vbt

    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", type=Path, required=True)
    for name in ("fast", "slow"):
        parser.add_argument(f"--{name}", type=int, required=True)
    for name in ("fee", "cash"):
        parser.add_argument(f"--{name}", type=float, required=True)
    args = parser.parse_args(arguments)
    stored = np.load(args.worker)
    index = pd.to_datetime(stored["open_time_ms"], unit="ms")
    data = {
        "close": pd.Series(stored["close"], index=index),
        "open": pd.Series(stored["open"], index=index),
        "fast": args.fast,
        "slow": args.slow,
        "fee": args.fee,
        "cash": args.cash,
    }
    warm = {**data, "close": data["close"].iloc[:500], "open": data["open"].iloc[:500]}
    runs, notes = [], []
    for engine in ENGINES:
        try:
            _simulate(vbt, pd, np, warm, engine)  # JIT compilation and first-call caches
        except Exception as error:  # noqa: BLE001 - any failure means: engine not usable here
            notes.append(f"{engine} engine unavailable: {str(error).splitlines()[0]}")
            continue
        best, trades, equity = float("inf"), 0, 0.0
        for _ in range(3):
            started = time.perf_counter()
            trades, equity = _simulate(vbt, pd, np, data, engine)
            best = min(best, time.perf_counter() - started)
        runs.append({"engine": engine, "seconds": best, "trades": trades, "final_equity": equity})
    print(json.dumps({"version": vbt.__version__, "runs": runs, "notes": notes}))  # noqa: T201


if __name__ == "__main__":
    _worker(sys.argv[1:])
