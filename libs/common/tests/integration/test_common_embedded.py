import os
import signal
import subprocess
import sys
import time

import pytest

from crypto_trader.common.embedded import free_port, port_answers, start_nats, start_redis

pytestmark = pytest.mark.integration


def test_embedded_servers_answer_and_stop(tmp_path):
    nats = start_nats(free_port(), tmp_path / "nats")
    redis = start_redis(free_port(), tmp_path / "redis")
    try:
        assert port_answers(nats.port) and port_answers(redis.port)
    finally:
        nats.stop()
        redis.stop()
    assert not port_answers(nats.port) and not port_answers(redis.port)


def test_embedded_servers_die_with_the_process_that_started_them(tmp_path):
    nats_port, redis_port = free_port(), free_port()
    owner = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, time; from pathlib import Path;"
            "from crypto_trader.common.embedded import start_nats, start_redis;"
            f"start_nats({nats_port}, Path(sys.argv[1]) / 'nats');"
            f"start_redis({redis_port}, Path(sys.argv[1]) / 'redis');"
            "print('up', flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert owner.stdout is not None and owner.stdout.readline().strip() == "up"
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (port_answers(nats_port) or port_answers(redis_port)):
        time.sleep(0.1)
    assert not port_answers(nats_port) and not port_answers(redis_port)
