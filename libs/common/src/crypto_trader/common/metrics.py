"""Prometheus metrics shared by every service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, start_http_server

MESSAGES = Counter(
    "ct_messages_total",
    "Bus messages handled, by consumer and outcome",
    ["service", "consumer", "outcome"],
)
EVENTS_PUBLISHED = Counter(
    "ct_events_published_total",
    "Events published on the bus",
    ["service", "kind"],
)
UP = Gauge("ct_up", "1 while the service is running", ["service"])


def serve_metrics(port: int) -> None:
    """Expose /metrics on the port (0 disables it)."""
    if port:
        start_http_server(port, addr="127.0.0.1")
