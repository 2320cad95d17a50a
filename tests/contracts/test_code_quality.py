"""Lint, layering and typing rules hold for the whole repository."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    result = _run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold():
    result = _run(str(BIN / "lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_shared_kernel_and_domains_type_check_strictly():
    packages = ["crypto_trader.common"]
    packages += [
        f"crypto_trader.{path.parent.name}.domain"
        for path in ROOT.glob("services/*/src/crypto_trader/*/domain")
    ]
    result = _run(sys.executable, "-m", "mypy", *[arg for p in packages for arg in ("-p", p)])
    assert result.returncode == 0, result.stdout + result.stderr
