"""The one mapping from failures to HTTP responses: a status and ``{"detail": reason}``."""

from __future__ import annotations

import logging

import grpc
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from crypto_trader.common.errors import InvalidInput, InvalidMessage, NotFound
from crypto_trader.gateway.adapters.grpc_clients import BackendError

log = logging.getLogger(__name__)

_UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


def _detail(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


async def _backend_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, BackendError)  # noqa: S101 - registered for this type only
    if error.code == grpc.StatusCode.INVALID_ARGUMENT:
        return _detail(400, error.details or "invalid request")
    if error.code == grpc.StatusCode.NOT_FOUND:
        return _detail(404, error.details or "not found")
    if error.code in _UNAVAILABLE:
        log.warning("backend %s unavailable: %s", error.service, error.details)
        return _detail(503, f"{error.service} unavailable")
    log.error("backend %s failed: %s %s", error.service, error.code.name, error.details)
    return _detail(502, f"{error.service} failed")


async def _invalid_message(_: Request, error: Exception) -> JSONResponse:
    # A backend answered with data that breaks the contract (a malformed decimal, ...).
    log.error("invalid data from a backend: %s", error)
    return _detail(502, "a backend service sent invalid data")


async def _invalid_input(_: Request, error: Exception) -> JSONResponse:
    return _detail(400, str(error))


async def _not_found(_: Request, error: Exception) -> JSONResponse:
    return _detail(404, str(error))


async def _unexpected(_: Request, error: Exception) -> JSONResponse:
    log.error("unexpected error", exc_info=error)
    return _detail(500, "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on the app."""
    app.add_exception_handler(BackendError, _backend_error)
    app.add_exception_handler(InvalidMessage, _invalid_message)
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Exception, _unexpected)
