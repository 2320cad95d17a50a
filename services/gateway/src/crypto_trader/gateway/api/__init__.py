"""HTTP and WebSocket entrypoints of the gateway."""
