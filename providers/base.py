"""What a provider is: the base class every adapter subclasses, and the values it exchanges.

A provider never sees the gateway. It gets its settings and an HTTP session when it is made,
sees a job through :class:`JobView`, and answers with plain values (:class:`Submission`,
:class:`ProviderStatus`, :class:`CaptionResult`). Errors follow :mod:`providers.errors`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import marshmallow
import requests

from formats.model import Captions
from providers.errors import CallbackRejected

# The job states, defined here once: providers answer in them and the gateway stores them.
QUEUED, PROCESSING, DONE, ERROR, CANCELLED = "queued", "processing", "done", "error", "cancelled"
State = Literal["queued", "processing", "done", "error", "cancelled"]
STATES: tuple[str, ...] = (QUEUED, PROCESSING, DONE, ERROR, CANCELLED)
FINISHED: frozenset[str] = frozenset({DONE, ERROR, CANCELLED})

# The worker queues: ``default`` for provider calls, callbacks and webhooks, ``asr`` for heavy
# local work (Whisper), so that a long transcription never delays the rest.
QUEUES: tuple[str, ...] = ("default", "asr")


class EmptyParams(marshmallow.Schema):
    """The params schema of a provider that takes none: unknown keys are refused."""

    class Meta:
        unknown = marshmallow.RAISE


@dataclass
class JobView:
    """The part of a job a provider may see.

    ``open_media`` is a context manager factory yielding a local file path of the job's media
    (downloaded with the gateway's size and address checks, or the file the CMS uploaded).
    ``report_progress`` takes 0-100; ``is_cancelled`` lets long local work stop early.
    ``record(reference)`` stores references in the job's ``provider_params`` at once: a provider
    whose submit makes several remote objects records each as it is made, so that a callback
    that arrives before submit returns, or a submit run again after its worker died, finds it.
    ``output_url(job_id, fmt)`` is a URL the provider's service can fetch output ``fmt`` of another
    finished job of this gateway from (captions sent for review); it raises
    ``PermanentProviderError`` when there is no such output.

    The gateway fills ``callback_url``, ``open_media`` and ``output_url`` (and offers an uploaded
    file as ``media_url``) only for ``submit``: following a job needs the ids and references alone.
    """

    id: str
    media_url: str | None
    language: str
    provider_params: dict[str, Any]
    output_types: list[str]
    callback_url: str | None = None
    style: dict[str, Any] = field(default_factory=dict)
    open_media: Callable[[], contextlib.AbstractContextManager[Path]] | None = None
    output_url: Callable[[str, str], str] | None = None
    report_progress: Callable[[int], None] = lambda _pct: None
    is_cancelled: Callable[[], bool] = lambda: False
    record: Callable[[dict[str, Any]], None] = lambda _reference: None


@dataclass
class ProviderStatus:
    """Where the provider is with a job. ``details`` is the provider's own status words.

    ``reference`` is merged into the job's ``provider_params`` (ids the provider needs later);
    ``info`` into its ``provider_info`` (what a user should see while the job runs, such as the
    link to the provider's review editor). Neither may hold a secret.
    """

    state: State
    details: str = ""
    progress: int | None = None
    error: str | None = None
    reference: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Submission:
    """What ``submit`` returns: references to record in ``provider_params`` and the status.

    A provider that does the work during ``submit`` (local Whisper, uploaded captions)
    returns ``status.state == "done"`` and the ``result`` at once.
    """

    reference: dict[str, Any]
    status: ProviderStatus
    result: CaptionResult | None = None


@dataclass
class CaptionResult:
    """Finished captions: the neutral model, and the provider's own files where it has them.

    ``native`` maps an output type (``"srt"``, ``"vtt"``...) to the provider's bytes, which the
    gateway stores unchanged instead of rendering that type itself. ``details`` may carry what the
    provider learned (``{"language": "de"}``) for the gateway to record on the job.
    """

    captions: Captions
    native: dict[str, bytes] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProviderEvent:
    """One event from a provider's event queue (:meth:`Provider.pull_events`).

    ``job_id`` is the gateway job it is about (``None`` for an event of no job of ours, which the
    gateway confirms and drops); ``status`` is what it says (``None``: "ask ``check``");
    ``handle`` is what :meth:`Provider.confirm_events` needs to remove it from the queue.
    """

    job_id: str | None
    status: ProviderStatus | None = None
    handle: str | None = None


@dataclass
class CallbackRequest:
    """An incoming provider callback, reduced to what verification and parsing need."""

    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, str]
    json: Any
    args: Mapping[str, str]


class Provider:
    """Base class of every provider adapter.

    Class metadata (checked by the registry at load):

    - ``id``: set by the registry from the entry-point name.
    - ``params_schema``: marshmallow schema of ``provider_params`` (validated by the API).
    - ``native_formats``: output types the provider can hand over itself.
    - ``supports_callback``: the provider calls ``/callbacks/<id>/<job_id>`` when done.
    - ``signed_callbacks``: callbacks carry the provider's own signature, which
      ``parse_callback`` verifies, so they are accepted without the per-job token.
    - ``poll_initial``/``poll_factor``/``poll_max_interval``: the polling backoff, seconds.
    - ``max_wait``: seconds after submission before the job fails as timed out.
      These four may also be set per deployment as settings of the same names.
    - ``queue``: the worker queue for ``submit`` (``"asr"`` for heavy local work).
    - ``input_kind``: ``"media"`` (a video or audio to caption) or ``"captions"`` (a caption file).
    - ``synchronous``: ``submit`` does the whole work and returns the result (local providers);
      otherwise ``check`` and ``fetch`` must be implemented.
    - ``requires``: import names of optional dependencies, with ``install_hint`` if missing.
    - ``required_settings``: settings without which the provider cannot work (an API key...);
      ``GET /providers`` shows which are missing.
    - ``events_interval``: seconds between two :meth:`pull_events` runs, for a provider that
      reports through an event queue the gateway must read (``None``: it has none).
    """

    id: ClassVar[str] = ""
    params_schema: ClassVar[type[marshmallow.Schema]] = EmptyParams
    native_formats: ClassVar[frozenset[str]] = frozenset()
    supports_callback: ClassVar[bool] = False
    signed_callbacks: ClassVar[bool] = False
    poll_initial: ClassVar[float] = 30.0
    poll_factor: ClassVar[float] = 2.0
    poll_max_interval: ClassVar[float] = 1800.0
    max_wait: ClassVar[float] = 14 * 24 * 3600.0
    queue: ClassVar[str] = "default"
    input_kind: ClassVar[Literal["media", "captions"]] = "media"
    synchronous: ClassVar[bool] = False
    requires: ClassVar[tuple[str, ...]] = ()
    install_hint: ClassVar[str] = ""
    events_interval: ClassVar[float | None] = None
    required_settings: ClassVar[tuple[str, ...]] = ()

    #: Class timings a deployment (or a test against a simulator) may set per provider.
    TIMING_SETTINGS: ClassVar[tuple[str, ...]] = ("poll_initial", "poll_factor", "poll_max_interval", "max_wait")

    def __init__(self, settings: Mapping[str, Any] | None = None, session: requests.Session | None = None) -> None:
        self.settings: Mapping[str, Any] = settings or {}
        self.session = session or requests.Session()
        for name in self.TIMING_SETTINGS:
            if self.settings.get(name) not in (None, ""):
                setattr(self, name, float(self.settings[name]))

    def missing_settings(self) -> list[str]:
        """The ``required_settings`` this instance was not given (empty when configured)."""
        return [name for name in self.required_settings if self.settings.get(name) in (None, "")]

    def load_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """``provider_params`` loaded by ``params_schema`` (one instance, reused), then
        ``validate_params``. Raises ``marshmallow.ValidationError``."""
        schema = self.__dict__.get("_params_schema")
        if schema is None:
            schema = self.__dict__["_params_schema"] = self.params_schema()
        return self.validate_params(schema.load(params))

    def validate_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Checks that need settings (allow-lists...), after ``params_schema`` has loaded them.

        Raise ``marshmallow.ValidationError`` to refuse; the API answers 422.
        """
        return params

    def validate_job(self, language: str, params: dict[str, Any]) -> None:
        """Checks of the whole job (its ``language`` with the loaded ``params``) before it is made.

        Raise ``marshmallow.ValidationError`` keyed by field (``{"language": [...]}``) to refuse;
        the API answers 422 and no job is created. The default takes every job.
        """

    def submit(self, job: JobView) -> Submission:
        """Start the work (order, upload, transcribe) and say what to remember."""
        raise NotImplementedError

    def check(self, job: JobView) -> ProviderStatus:
        """Ask the provider where the job is (used by polling and after callbacks)."""
        raise NotImplementedError

    def fetch(self, job: JobView) -> CaptionResult:
        """Download the finished captions."""
        raise NotImplementedError

    def cancel(self, job: JobView) -> bool:
        """Ask the provider to stop; ``False`` when it cannot (the gateway cancels locally)."""
        return False

    def parse_callback(self, job: JobView, request: CallbackRequest) -> ProviderStatus | None:
        """Verify and read a callback. Raise ``CallbackRejected`` for a forged one.

        Returning ``None`` means "something changed, ask ``check``". A status is applied as it
        is, without a second round trip to the provider (``done`` goes straight to ``fetch``).
        The default trusts the gateway's per-job token and asks ``check``.
        """
        return None

    def parse_event_callback(self, request: CallbackRequest) -> list[ProviderEvent]:
        """Verify and read a callback sent to the provider's one URL, ``/callbacks/<id>``.

        For services that call one configured URL for every job (Tencent VOD's push events)
        rather than a URL per job; only used when ``signed_callbacks`` is set, since no per-job
        token can vouch for such a callback. Raise ``CallbackRejected`` for a forged or expired one.
        """
        raise CallbackRejected("this provider takes callbacks only at /callbacks/<provider>/<job_id>")

    def pull_events(self) -> list[ProviderEvent]:
        """Read the provider's event queue (when ``events_interval`` is set).

        Called by a periodic worker task; each event is applied to its job, then its handle is
        given to :meth:`confirm_events`. An event not confirmed must come again later, so
        nothing is lost when a worker dies between the two.
        """
        return []

    def confirm_events(self, handles: list[str]) -> None:
        """Remove applied events from the provider's queue."""

    def api_blueprint(self) -> Any:
        """Routes this provider adds to the API: a ``flask_smorest.Blueprint`` or ``None``.

        The gateway mounts it under ``/providers/<id>``, requires the API key on every route,
        and documents the routes in its OpenAPI document. Called once per app, on an instance
        made with the provider's settings.
        """
        return None

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Capabilities shown by ``GET /providers``."""
        return {
            "id": cls.id,
            "native_formats": sorted(cls.native_formats),
            "supports_callback": cls.supports_callback,
            "max_wait_s": cls.max_wait,
            "queue": cls.queue,
            "input_kind": cls.input_kind,
            "synchronous": cls.synchronous,
            "doc": (cls.__doc__ or "").strip().split("\n\n")[0],
        }
