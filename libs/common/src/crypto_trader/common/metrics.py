"""Prometheus metrics shared by every service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, start_http_server

MESSAGES = Counter(
    "ct_messages_total",
    "Bus messages handled, by consumer and business outcome",
    ["service", "consumer", "outcome"],
)
EVENTS_PUBLISHED = Counter(
    "ct_events_published_total",
    "Events published on the bus",
    ["service", "kind"],
)
BUS_DELIVERIES = Counter(
    "ct_bus_deliveries_total",
    "JetStream deliveries settled by a durable consumer: acked, terminated or retried",
    ["service", "consumer", "outcome"],
)
BUS_HANDLER_SECONDS = Histogram(
    "ct_bus_handler_seconds",
    "Time a durable consumer's handler took per message",
    ["service", "consumer"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BUS_PUBLISHED = Counter(
    "ct_bus_published_total",
    "Messages published to JetStream, by type and whether the stream already had them",
    ["service", "message_type", "duplicate"],
)
UP = Gauge("ct_up", "1 while the service is running", ["service"])


def serve_metrics(port: int, *, host: str = "127.0.0.1") -> None:
    """Expose /metrics on the port (0 disables it)."""
    if port:
        start_http_server(port, addr=host)


PROVIDER_SWITCHES = Counter(
    "ct_marketdata_provider_switches_total",
    "Market data provider switches (failover on failure, or back to the preferred provider)",
    ["service", "from_provider", "to_provider", "reason"],
)
