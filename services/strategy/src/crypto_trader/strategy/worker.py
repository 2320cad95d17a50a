"""Celery worker process of the strategy service: ``python -m crypto_trader.strategy.worker``.

One task at a time (solo pool); SIGTERM lets the running task finish, then the worker exits. It
takes backtests, optimisations and optimisation trial chunks; an optimisation sending its trials
to Celery needs another worker to take them, since its own is busy running it.
"""

from __future__ import annotations

import os
import socket
import sys

from pydantic import ValidationError

from crypto_trader.common import logging as ct_logging
from crypto_trader.strategy.adapters.celery_tasks import backtest_queue, create_celery
from crypto_trader.strategy.adapters.celery_trials import trials_queue
from crypto_trader.strategy.settings import StrategySettings


def main() -> None:
    """Load settings, configure logging and run the worker until SIGTERM or Ctrl-C."""
    try:
        settings = StrategySettings()
    except ValidationError as error:
        print(f"invalid settings for StrategySettings:\n{error}", file=sys.stderr)  # noqa: T201
        sys.exit(2)
    infra = settings.infra
    ct_logging.configure("strategy-worker", level=infra.log_level, json_lines=infra.log_json)
    app = create_celery(infra)
    app.worker_main(
        [
            "worker",
            f"--loglevel={infra.log_level}",
            f"--queues={backtest_queue(infra)},{trials_queue(infra)}",
            "--concurrency=1",
            "--pool=solo",
            f"--hostname=strategy-{os.getpid()}@{socket.gethostname()}",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    main()
