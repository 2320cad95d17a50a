"""Run a service process: settings, logging, signals and a clean stop on SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError

from crypto_trader.common import logging as ct_logging
from crypto_trader.common.errors import ConfigurationError
from crypto_trader.common.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)
log = logging.getLogger(__name__)


def run_service(run: Callable[[S, asyncio.Event], Awaitable[None]], settings_type: type[S]) -> None:
    """Load settings, configure logging and run ``run(settings, stop)`` until a stop signal."""
    try:
        settings = settings_type()
    except ValidationError as error:
        print(f"invalid settings for {settings_type.__name__}:\n{error}", file=sys.stderr)  # noqa: T201
        sys.exit(2)
    ct_logging.configure(
        settings.service_name, level=settings.infra.log_level, json_lines=settings.infra.log_json
    )
    try:
        asyncio.run(_main(run, settings))
    except ConfigurationError as error:
        log.error("cannot start: %s", error)
        sys.exit(2)
    except OSError as error:
        log.error("cannot start: %s", error)
        sys.exit(3)


async def _main(run: Callable[[S, asyncio.Event], Awaitable[None]], settings: S) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("starting", extra={"instance": settings.instance_id})
    await run(settings, stop)
    log.info("stopped")
