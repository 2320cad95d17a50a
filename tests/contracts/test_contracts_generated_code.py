"""The committed generated code is exactly what the proto files produce today."""

import filecmp
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "libs" / "contracts" / "src" / "crypto_trader" / "contracts"


def _files(folder: Path) -> set[Path]:
    return {
        path.relative_to(folder)
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in {".py", ".pyi"}
    }


def test_generated_code_is_up_to_date(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable}
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "gen_proto.sh"), str(tmp_path)], check=True, env=env
    )
    fresh = tmp_path / "crypto_trader" / "contracts"

    assert _files(fresh) == _files(GENERATED), "run scripts/gen_proto.sh: generated files differ"
    stale = [
        str(p) for p in _files(fresh) if not filecmp.cmp(fresh / p, GENERATED / p, shallow=False)
    ]
    assert not stale, f"run scripts/gen_proto.sh: stale generated files {stale}"


def test_every_backend_service_has_a_grpc_contract():
    services = {p.parent.parent.name for p in (ROOT / "proto").rglob("*_service.proto")}
    assert services == {"marketdata", "strategy", "risk", "execution", "portfolio", "ml"}


def test_events_carry_id_and_timestamps():
    from google.protobuf import descriptor_pool

    import crypto_trader.contracts.execution.v1.orders_pb2
    import crypto_trader.contracts.marketdata.v1.market_data_pb2
    import crypto_trader.contracts.ml.v1.autopilot_pb2
    import crypto_trader.contracts.portfolio.v1.portfolio_pb2
    import crypto_trader.contracts.risk.v1.orders_pb2
    import crypto_trader.contracts.strategy.v1.signals_pb2  # noqa: F401

    pool = descriptor_pool.Default()
    events = [
        "marketdata.v1.CandleClosed", "strategy.v1.SignalGenerated", "risk.v1.OrderIntentApproved",
        "risk.v1.OrderIntentRejected", "execution.v1.OrderUpdated", "execution.v1.OrderFilled",
        "portfolio.v1.PositionChanged", "portfolio.v1.EquityUpdated", "ml.v1.AutopilotDecided",
    ]  # fmt: skip
    for name in events:
        fields = pool.FindMessageTypeByName(f"crypto_trader.contracts.{name}").fields_by_name
        assert {"event_id", "ts_event", "ts_init"} <= set(fields), name


def test_proto_files_pass_buf_lint():
    buf = Path(sys.executable).parent / "buf"
    result = subprocess.run([str(buf), "lint"], cwd=ROOT / "proto", capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
