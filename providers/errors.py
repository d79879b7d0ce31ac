"""The provider error tree; the gateway decides retry versus fail from the class alone.

ProviderError
 ├── TransientProviderError   network trouble, 5xx, rate limits: retried with backoff
 ├── PermanentProviderError   bad key, rejected order, unreadable media: the job fails
 └── CallbackRejected         a callback whose token or signature does not verify (403)
"""

from __future__ import annotations


class ProviderError(Exception):
    """Something went wrong talking to a provider; ``str(err)`` is safe to show a user."""


class TransientProviderError(ProviderError):
    """Worth trying again later. ``retry_after`` (seconds) is the provider's hint, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentProviderError(ProviderError):
    """Trying again will not help; the job fails with this message."""


class CallbackRejected(ProviderError):
    """A callback did not prove it came from the provider."""
