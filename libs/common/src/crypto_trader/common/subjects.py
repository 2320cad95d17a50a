"""NATS subjects and JetStream stream names: the only place they are spelt.

Subjects read ``<root>.<owner>.<stream>.<scope...>``. They only route: payloads carry the
canonical data and nothing parses a subject back into values.
"""

from __future__ import annotations

import re

from crypto_trader.common.errors import InvalidInput

_TOKEN_FORBIDDEN = re.compile(r"[.*>\s]")


def token(value: str) -> str:
    """Return a subject token for a free value, or raise InvalidInput when it cannot be one."""
    if not value or _TOKEN_FORBIDDEN.search(value) or value.startswith("$"):
        raise InvalidInput(f"{value!r} cannot be used in a NATS subject")
    return value


def symbol_token(symbol: str) -> str:
    """Turn a unified symbol into a subject token: ``BTC/USDT`` -> ``BTC-USDT``."""
    return token(symbol.replace("/", "-").replace(":", "-"))


def validate_root(root: str) -> str:
    """Check a subject root (``ct``, or ``t<run-id>`` in tests)."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,31}", root):
        raise InvalidInput(f"subject root must be a short alphanumeric word, got {root!r}")
    return root


def candles(root: str, exchange: str, symbol: str, timeframe: str) -> str:
    """Closed (and forming) candles of one market and timeframe."""
    return f"{root}.md.candles.{token(exchange)}.{symbol_token(symbol)}.{token(timeframe)}"


def all_candles(root: str) -> str:
    """Every candle subject."""
    return f"{root}.md.candles.>"


def trades(root: str, exchange: str, symbol: str) -> str:
    """Public trades of one market."""
    return f"{root}.md.trades.{token(exchange)}.{symbol_token(symbol)}"


def signals(root: str, account: str) -> str:
    """Strategy signals for one account."""
    return f"{root}.strategy.signals.{token(account)}"


def all_signals(root: str) -> str:
    """Signals of every account."""
    return f"{root}.strategy.signals.>"


def approved_orders(root: str, account: str) -> str:
    """Order intents that passed every risk check."""
    return f"{root}.risk.orders.{token(account)}"


def all_approved_orders(root: str) -> str:
    """Approved order intents of every account."""
    return f"{root}.risk.orders.>"


def risk_events(root: str, account: str) -> str:
    """Risk rejections and limit events of one account."""
    return f"{root}.risk.events.{token(account)}"


def all_risk_events(root: str) -> str:
    """Risk events of every account."""
    return f"{root}.risk.events.>"


def execution_events(root: str, account: str, symbol: str) -> str:
    """Order updates and fills of one account and market."""
    return f"{root}.execution.events.{token(account)}.{symbol_token(symbol)}"


def account_execution_events(root: str, account: str) -> str:
    """Order updates and fills of one account, every market."""
    return f"{root}.execution.events.{token(account)}.*"


def all_execution_events(root: str) -> str:
    """Order updates and fills of every account."""
    return f"{root}.execution.events.>"


def positions(root: str, account: str) -> str:
    """Position changes of one account."""
    return f"{root}.portfolio.positions.{token(account)}"


def equity(root: str, account: str) -> str:
    """Equity revaluations of one account."""
    return f"{root}.portfolio.equity.{token(account)}"


def all_portfolio(root: str) -> str:
    """Every portfolio subject."""
    return f"{root}.portfolio.>"


def selections(root: str, account: str) -> str:
    """Autopilot decisions for one account."""
    return f"{root}.ml.selections.{token(account)}"


def all_selections(root: str) -> str:
    """Autopilot decisions of every account."""
    return f"{root}.ml.selections.>"


def heartbeat(root: str, service: str, instance: str) -> str:
    """Liveness beacon of one service instance."""
    return f"{root}.sys.heartbeat.{token(service)}.{token(instance)}"


def all_heartbeats(root: str) -> str:
    """Every heartbeat."""
    return f"{root}.sys.heartbeat.>"


def stream_name(root: str, owner: str, stream: str) -> str:
    """JetStream stream name ``<ROOT>_<OWNER>_<STREAM>`` in upper case."""
    return f"{root}_{owner}_{stream}".upper().replace("-", "_")
