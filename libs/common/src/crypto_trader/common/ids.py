"""Deterministic identifiers: the same inputs always give the same id, so retries deduplicate."""

import hashlib
import uuid


def stable_id(*parts: object) -> str:
    """Return a 32-hex-digit id derived from the parts (stable across processes and restarts)."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def random_id() -> str:
    """Return a random 32-hex-digit id for things that have no natural key."""
    return uuid.uuid4().hex
