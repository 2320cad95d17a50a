"""The JetStream streams of the platform: names, subjects and limits, defined once.

Publishers and consumers both ensure the stream they use exists, so services can start in any order.
"""

from __future__ import annotations

from dataclasses import dataclass

from crypto_trader.common import subjects


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """A JetStream stream the platform relies on."""

    name: str
    subjects: tuple[str, ...]
    max_age_seconds: float
    duplicate_window_seconds: float = 120.0


_DAY = 86_400.0


def candle_stream(root: str) -> StreamSpec:
    """Closed candles: consumers resume from where they stopped after a restart."""
    return StreamSpec(
        subjects.stream_name(root, "md", "candles"), (subjects.all_candles(root),), 2 * _DAY
    )


def signal_stream(root: str) -> StreamSpec:
    """Strategy signals waiting for risk."""
    return StreamSpec(
        subjects.stream_name(root, "strategy", "signals"), (subjects.all_signals(root),), 7 * _DAY
    )


def approved_order_stream(root: str) -> StreamSpec:
    """Approved order intents waiting for execution."""
    return StreamSpec(
        subjects.stream_name(root, "risk", "orders"),
        (subjects.all_approved_orders(root),),
        7 * _DAY,
    )


def risk_event_stream(root: str) -> StreamSpec:
    """Risk rejections and limit events."""
    return StreamSpec(
        subjects.stream_name(root, "risk", "events"), (subjects.all_risk_events(root),), 7 * _DAY
    )


def execution_event_stream(root: str) -> StreamSpec:
    """Order updates and fills: never lost, deduplicated by event id."""
    return StreamSpec(
        subjects.stream_name(root, "execution", "events"),
        (subjects.all_execution_events(root),),
        30 * _DAY,
    )


def portfolio_stream(root: str) -> StreamSpec:
    """Position and equity updates."""
    return StreamSpec(
        subjects.stream_name(root, "portfolio", "updates"),
        (subjects.all_portfolio(root),),
        7 * _DAY,
    )


def selection_stream(root: str) -> StreamSpec:
    """Autopilot decisions."""
    return StreamSpec(
        subjects.stream_name(root, "ml", "selections"), (subjects.all_selections(root),), 30 * _DAY
    )


def all_streams(root: str) -> list[StreamSpec]:
    """Every stream of the platform, for operators and tests."""
    return [
        candle_stream(root),
        signal_stream(root),
        approved_order_stream(root),
        risk_event_stream(root),
        execution_event_stream(root),
        portfolio_stream(root),
        selection_stream(root),
    ]
