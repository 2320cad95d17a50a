"""Clients of the platform's other services."""
