"""Gateway: the REST and WebSocket API in front of the platform's services, and the web app."""
