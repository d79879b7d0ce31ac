"""The provider error tree; the gateway decides retry versus fail from the class alone.

ProviderError
 ├── TransientProviderError   network trouble, 5xx, rate limits: retried with backoff
 │    └── MediaUnavailable    the job's media could not be had now (timeout, 5xx): retried
 ├── PermanentProviderError   bad key, rejected order, unreadable media: the job fails
 │    └── MediaRefused        media that will never do (refused URL, too large, 404)
 │         └── MediaCancelled the job was cancelled while its media was being fetched
 └── CallbackRejected         a callback whose token or signature does not verify (403)

``MediaError`` is the common base of the media errors (``except MediaError`` catches both);
``media_error(message, transient=...)`` picks the class where the cause decides at run time.
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
    """Trying again will not help; the job fails with this message. ``status`` is the HTTP status
    the provider answered, when it answered one (an adapter may tell a 404 from other refusals)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CallbackRejected(ProviderError):
    """A callback did not prove it came from the provider."""


class MediaError(ProviderError):
    """The job's media could not be obtained (``JobView.open_media``); the message is safe to show."""

    @property
    def transient(self) -> bool:
        return isinstance(self, TransientProviderError)


class MediaUnavailable(MediaError, TransientProviderError):
    """The media could not be had this time; a later attempt may work."""


class MediaRefused(MediaError, PermanentProviderError):
    """The media will never do: a refused address, too large, gone, undecodable."""


class MediaCancelled(MediaRefused):
    """The job was cancelled while its media was being fetched; nothing is left on disk."""

    def __init__(self, message: str = "media download stopped: the job was cancelled") -> None:
        super().__init__(message)


def media_error(message: str, *, transient: bool = False) -> MediaError:
    """The media error for ``message``: :class:`MediaUnavailable` when ``transient``, else refused."""
    return MediaUnavailable(message) if transient else MediaRefused(message)
