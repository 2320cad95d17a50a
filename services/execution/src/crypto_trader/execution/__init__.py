"""Execution service: the order lifecycle, the paper exchange and the outbox of execution events."""
