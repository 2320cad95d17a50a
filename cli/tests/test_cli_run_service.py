"""`ct run <service>` runs one service in the foreground, as the README shows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from crypto_trader.common.embedded import free_port

pytestmark = pytest.mark.integration


def test_runs_one_service_that_answers_health_checks_and_stops_on_sigterm(nats_url, run_root):
    port = free_port()
    env = {
        **os.environ,
        "CT_NATS_URL": nats_url,
        "CT_SUBJECT_ROOT": run_root,
        "CT_ML_GRPC_PORT": str(port),
        "CT_ML_METRICS_PORT": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "crypto_trader.cli", "run", "ml"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 30
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while time.monotonic() < deadline and status != health_pb2.HealthCheckResponse.SERVING:
                try:
                    status = stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status
                except grpc.RpcError:
                    time.sleep(0.2)
        assert status == health_pb2.HealthCheckResponse.SERVING
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "stopped" in output
