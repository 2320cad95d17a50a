"""The one error tree; entrypoints map it to gRPC status codes and HTTP responses in one place."""


class CryptoTraderError(Exception):
    """Base of every error the platform raises on purpose."""


class InvalidInput(CryptoTraderError):
    """Reject a request or message that can never succeed as sent (bad symbol, bad decimal, ...)."""


class InvalidMessage(InvalidInput):
    """Reject a bus message that cannot be decoded or violates its contract."""


class NotFound(CryptoTraderError):
    """Report that the requested object does not exist."""


class RetryableError(CryptoTraderError):
    """Signal a transient failure: the same call may succeed later (network, timeout, busy)."""


class ConfigurationError(CryptoTraderError):
    """Refuse to start with settings that cannot work."""
