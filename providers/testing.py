"""A conformance kit for provider plugins: the tests every adapter must pass, over real HTTP.

A plugin author subclasses :class:`ProviderConformance` in their own test suite, says how to
make the provider and a job, and pytest runs every ``test_*`` method of the kit against the
adapter. Nothing of the adapter is mocked: remote calls go to the author's simulator or sandbox,
and the HTTP fault table (:data:`FAULTS`) is played by a real server on ``127.0.0.1``
(:class:`FaultServer`) that answers every request with one scripted fault::

    import pytest
    from providers.testing import ProviderConformance

    class TestAcmeConformance(ProviderConformance):
        provider_class = AcmeProvider
        provider_id = "acme"                      # the entry-point name, checked when set

        @pytest.fixture(autouse=True)
        def _service(self, acme_simulator):       # any fixture of the author's suite
            self.service = acme_simulator

        def make_provider(self):
            return self.make_provider_for(self.service.url)

        def make_provider_for(self, base_url):
            return AcmeProvider({"base_url": base_url, "api_key": "k", "timeout_s": 2}, requests.Session())

        def make_job(self, **overrides):
            return JobView(**{"id": "job-1", "media_url": "https://example.com/a.mp4", "language": "en",
                              "provider_params": {}, "output_types": ["vtt"], **overrides})

What the kit checks, and what a subclass can set, is listed on :class:`ProviderConformance`;
docs/plugins.md walks through it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType
from typing import Any, ClassVar, Literal, TypeVar

import marshmallow
import pytest

import formats
from providers.base import STATES, CallbackRequest, CaptionResult, JobView, Provider, ProviderStatus, Submission
from providers.errors import PermanentProviderError, ProviderError, TransientProviderError
from providers.registry import ENTRY_POINT_GROUP, discover, validate_class

__all__ = [
    "FAULTS",
    "OPERATIONS",
    "Fault",
    "FaultServer",
    "ProviderConformance",
    "call_bounded",
    "closed_port_url",
]

T = TypeVar("T")

#: The provider methods that talk to the remote service, in the order a job calls them.
OPERATIONS: tuple[str, ...] = ("submit", "check", "fetch", "cancel")

FaultKind = Literal["refused", "dropped", "silent", "respond"]


@dataclass(frozen=True)
class Fault:
    """One scripted failure of the remote service and the error it must become.

    ``kind``: ``refused`` (nothing listens on the port), ``dropped`` (the server reads the
    request and closes the connection without a word), ``silent`` (the server reads the request
    and never answers, so only the provider's own timeout ends the call) or ``respond`` (an HTTP
    answer with ``status``, ``headers`` and ``body``). ``expect`` is the error class the provider
    must raise (a subclass is fine); ``retry_after`` is the hint it must carry when the kit's
    ``honours_retry_after`` is set. ``operations`` limits the case to some of :data:`OPERATIONS`.
    """

    id: str
    kind: FaultKind
    expect: type[ProviderError]
    doc: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    retry_after: float | None = None
    operations: tuple[str, ...] = OPERATIONS


_JSON = (("Content-Type", "application/json"),)
_HTML = (("Content-Type", "text/html; charset=utf-8"),)
_PROXY_PAGE = b"<html><head><title>%s</title></head><body><h1>%s</h1><hr>proxy</body></html>"

#: The fault table every remote provider is run through (each fault against each operation).
FAULTS: tuple[Fault, ...] = (
    Fault(
        "connection-refused",
        "refused",
        TransientProviderError,
        "a connection refused (nothing listens at the base URL)",
    ),
    Fault("connection-dropped", "dropped", TransientProviderError, "a connection closed without an answer"),
    Fault(
        "no-answer",
        "silent",
        TransientProviderError,
        "a server that never answers, so the provider's own timeout must end the call (played on submit "
        "only: each case costs the provider's whole timeout, and every call goes through one client)",
        operations=("submit",),
    ),
    Fault(
        "http-500",
        "respond",
        TransientProviderError,
        "an HTTP 500 (internal error)",
        500,
        _JSON,
        b'{"error": "internal"}',
    ),
    Fault(
        "http-502",
        "respond",
        TransientProviderError,
        "an HTTP 502 with a load balancer's HTML page",
        502,
        _HTML,
        _PROXY_PAGE % (b"502 Bad Gateway", b"502 Bad Gateway"),
    ),
    Fault(
        "http-503",
        "respond",
        TransientProviderError,
        "an HTTP 503 (unavailable)",
        503,
        _JSON,
        b'{"error": "unavailable"}',
    ),
    Fault(
        "http-429-retry-after",
        "respond",
        TransientProviderError,
        "an HTTP 429 (rate limited) with Retry-After: 7",
        429,
        (*_JSON, ("Retry-After", "7")),
        b'{"error": "rate limited"}',
        retry_after=7.0,
    ),
    Fault(
        "http-400",
        "respond",
        PermanentProviderError,
        "an HTTP 400 (request refused)",
        400,
        _JSON,
        b'{"error": "bad request"}',
    ),
    Fault(
        "http-401",
        "respond",
        PermanentProviderError,
        "an HTTP 401 (bad key)",
        401,
        _JSON,
        b'{"error": "invalid credentials"}',
    ),
    Fault(
        "http-403-html",
        "respond",
        PermanentProviderError,
        "an HTTP 403 from a proxy or firewall, with an HTML page instead of the service's JSON",
        403,
        _HTML,
        _PROXY_PAGE % (b"403 Forbidden", b"Access denied"),
    ),
    Fault(
        "garbage-200",
        "respond",
        ProviderError,
        "an HTTP 200 whose body is neither JSON nor captions, although it says JSON",
        200,
        _JSON,
        b"\x00\x9f<html>maintenance window\xff{",
    ),
    Fault(
        "unexpected-json-200",
        "respond",
        ProviderError,
        "an HTTP 200 with well-formed JSON of another shape (fields missing)",
        200,
        _JSON,
        b'{"unexpected": true}',
    ),
)


def closed_port_url() -> str:
    """An ``http://127.0.0.1:<port>`` URL where nothing listens (the port was just freed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def call_bounded(fn: Callable[[], T], limit_s: float, what: str = "the call") -> T:
    """``fn()`` in a thread, so a provider that waits forever fails the test instead of hanging it."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread as is
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="conformance-call")
    thread.start()
    thread.join(limit_s)
    if thread.is_alive():
        raise AssertionError(
            f"{what} was still waiting after {limit_s:g} s: the provider sets no timeout on its HTTP "
            "calls, or a longer one than the kit's timeout_s"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class _FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _FaultHTTPServer

    def _answer(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        owner.hits.append((self.command, self.path))
        fault = owner.fault
        self.close_connection = True
        if fault is None or fault.kind == "dropped":
            return  # nothing written: the client sees the connection close
        if fault.kind == "silent":
            # Wait for the client to give up (its socket closes) or for the bound to pass.
            self.connection.settimeout(owner.silent_s)
            with contextlib.suppress(OSError):
                while self.connection.recv(4096):
                    pass
            return
        self.send_response(fault.status)
        for name, value in fault.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(fault.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(fault.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a test run is not a place for access logs."""


class _FaultHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer


class FaultServer:
    """A real HTTP server on 127.0.0.1 answering every request with :attr:`fault`.

    ``hits`` records ``(method, path)`` of each request, so a test can tell that the provider
    really called the base URL it was given. ``silent_s`` bounds how long a ``silent`` fault
    holds a connection open.
    """

    def __init__(self, silent_s: float = 60.0) -> None:
        self.fault: Fault | None = None
        self.hits: list[tuple[str, str]] = []
        self.silent_s = silent_s
        self._server = _FaultHTTPServer(("127.0.0.1", 0), _FaultHandler)
        self._server.owner = self
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True, name="fault-server"
        )

    def play(self, fault: Fault) -> str:
        """Answer with ``fault`` from now on; returns the base URL to give the provider."""
        self.fault, self.hits = fault, []
        return closed_port_url() if fault.kind == "refused" else self.url

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _fault_cases() -> list[Any]:
    return [pytest.param(fault, op, id=f"{op}-{fault.id}") for fault in FAULTS for op in fault.operations]


def _assert_json(value: Any, what: str) -> None:
    try:
        json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise AssertionError(f"{what} must be JSON-serialisable (the gateway stores it in Redis): {exc}") from exc


def _assert_status(status: Any, what: str) -> None:
    assert isinstance(status, ProviderStatus), f"{what} must be a ProviderStatus, got {type(status).__name__}"
    assert status.state in STATES, f"{what}: state {status.state!r} is not one of {', '.join(STATES)}"
    _assert_json(status.reference, f"{what}: reference")


class ProviderConformance:
    """Abstract pytest tests for one provider adapter; subclass it as ``Test<Something>``.

    The subclass provides:

    ``provider_class``
        The adapter class.
    ``make_provider()``
        An instance with settings and a ``requests.Session`` pointing at the author's simulator
        or sandbox.
    ``make_job(**overrides)``
        A :class:`~providers.base.JobView` the provider can work on (media URL, or ``open_media``
        for providers that read a file; a callback URL if the simulator calls back).
    ``make_provider_for(base_url)`` (remote providers)
        An instance whose every remote base URL is ``base_url``, for the fault table.
    ``drive_to_done(provider, job)`` (optional)
        Make the remote side finish the submitted job (a simulator's control route...). The
        default polls ``check`` until the state is ``done``, for up to ``done_timeout_s``.
    ``make_foreign_callback(job)`` (optional)
        A callback as the service would send it, about an order that is not ``job``'s.

    and may set:

    ``provider_id``
        The entry-point name; when set, the installed distribution must register
        ``provider_class`` under it and the registry must load it enabled.
    ``remote``
        Whether the provider talks HTTP (default: ``not provider_class.synchronous``). Providers
        that do not skip the fault table.
    ``honours_retry_after``
        The provider passes a 429's ``Retry-After`` on as ``TransientProviderError.retry_after``
        (default ``True``; the gateway then waits at least that long).
    ``timeout_s``
        The longest the provider from ``make_provider_for`` waits for an answer; the
        ``no-answer`` case fails if a call outlives it by more than 5 s. ``None`` skips that case.
    ``foreign_callback_raises``
        What ``parse_callback`` does with a callback about another order: ``True``, it raises a
        ``ProviderError`` (the gateway answers 400, or 403 for ``CallbackRejected``); ``False``,
        it returns ``None`` (the gateway asks ``check``, which reads the job's own order);
        ``None`` accepts either. It must never return a status for another order.
    ``expected_failures``
        Test names (``"test_http_fault[submit-garbage-200]"``) mapped to a reason: those tests
        are marked ``xfail(strict=True)``, so a known gap is written down and the mark has to go
        once the adapter is fixed.
    """

    provider_class: ClassVar[type[Provider]]
    provider_id: ClassVar[str | None] = None
    remote: ClassVar[bool | None] = None
    honours_retry_after: ClassVar[bool] = True
    timeout_s: ClassVar[float | None] = 30.0
    done_timeout_s: ClassVar[float] = 30.0
    poll_interval_s: ClassVar[float] = 0.2
    foreign_callback_raises: ClassVar[bool | None] = None
    expected_failures: ClassVar[Mapping[str, str]] = MappingProxyType({})

    # -- what a subclass provides ------------------------------------------------------------

    # An incomplete subclass fails like an abstract class would, with TypeError saying what to add.

    def make_provider(self) -> Provider:
        raise TypeError(f"{type(self).__name__} must define make_provider()")

    def make_job(self, **overrides: Any) -> JobView:
        raise TypeError(f"{type(self).__name__} must define make_job(**overrides)")

    def make_provider_for(self, base_url: str) -> Provider:
        raise TypeError(
            f"{type(self).__name__} must define make_provider_for(base_url) for the HTTP fault table "
            "(or set remote = False for a provider that makes no HTTP calls)"
        )

    def drive_to_done(self, provider: Provider, job: JobView) -> None:
        """Poll ``check`` until the job is done; override to finish it through a simulator."""
        deadline = time.monotonic() + self.done_timeout_s
        while True:
            status = provider.check(job)
            _assert_status(status, "check")
            if status.state == "done":
                return
            assert status.state not in ("error", "cancelled"), (
                f"the job ended as {status.state} ({status.error or status.details}) instead of done"
            )
            assert time.monotonic() < deadline, f"the job was not done after {self.done_timeout_s:g} s of polling"
            time.sleep(self.poll_interval_s)

    def make_foreign_callback(self, job: JobView) -> CallbackRequest:
        """A JSON callback about an order that does not exist; override with the service's shape."""
        body = {"id": "conformance-foreign-order", "status": "complete"}
        raw = json.dumps(body).encode()
        return CallbackRequest(headers={"Content-Type": "application/json"}, body=raw, form={}, json=body, args={})

    # -- helpers ------------------------------------------------------------------------------

    @property
    def is_remote(self) -> bool:
        return (not self.provider_class.synchronous) if self.remote is None else self.remote

    def submitted_job(self, provider: Provider | None = None) -> tuple[JobView, Submission]:
        """Submit a fresh job and return it with the reference recorded, as the gateway does."""
        provider = provider or self.make_provider()
        job = self.make_job()
        submission = provider.submit(job)
        assert isinstance(submission, Submission), f"submit must return a Submission, got {type(submission).__name__}"
        job = dataclasses.replace(job, provider_params={**job.provider_params, **submission.reference})
        return job, submission

    def assert_result(self, result: Any, job: JobView) -> None:
        """What the gateway needs of finished captions: cues, usable native files, renderable."""
        assert isinstance(result, CaptionResult), f"expected a CaptionResult, got {type(result).__name__}"
        assert isinstance(result.captions, formats.Captions), "CaptionResult.captions must be formats.Captions"
        assert result.captions.cues, "the captions have no cue"
        _assert_json(result.details, "CaptionResult.details")
        for fmt, data in result.native.items():
            assert fmt in formats.OUTPUT_TYPES, f"native type {fmt!r} is not one of {formats.OUTPUT_TYPES}"
            assert isinstance(data, bytes) and data, f"native {fmt} must be non-empty bytes"
            if fmt in formats.INPUT_TYPES:
                try:
                    native = formats.read(data, fmt, language=job.language)
                except formats.CaptionFormatError as exc:
                    raise AssertionError(f"native {fmt} cannot be read back: {exc}") from exc
                assert native.cues, f"native {fmt} has no cue"
        for fmt in job.output_types:
            if fmt not in result.native:
                formats.write(result.captions, fmt)

    # -- fixtures -----------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _conformance_expected_failures(self, request: pytest.FixtureRequest) -> None:
        reason = self.expected_failures.get(request.node.name)
        if reason:
            request.node.add_marker(pytest.mark.xfail(reason=reason, strict=True))

    @pytest.fixture(scope="class")
    @classmethod
    def fault_server(cls) -> Iterator[FaultServer]:
        """One server per test class; each case scripts its fault with :meth:`FaultServer.play`."""
        server = FaultServer(silent_s=(cls.timeout_s or 0) + 10).start()
        yield server
        server.stop()

    # -- metadata -----------------------------------------------------------------------------

    def test_metadata_validates(self) -> None:
        reason = validate_class(self.provider_id or "conformance", self.provider_class)
        assert reason is None, f"the registry would disable this provider: {reason}"

    def test_entry_point_is_registered(self) -> None:
        if self.provider_id is None:
            pytest.skip("provider_id is not set")
        entry = {e.id: e for e in discover()}.get(self.provider_id)  # what the gateway itself loads
        assert entry is not None, f"no {ENTRY_POINT_GROUP!r} entry point named {self.provider_id!r} is installed"
        assert entry.cls is not None, f"the registry disables it: {entry.disabled_reason}"
        assert issubclass(entry.cls, self.provider_class), f"{self.provider_id!r} is not {self.provider_class.__name__}"

    def test_describe_is_json(self) -> None:
        described = self.provider_class.describe()
        assert isinstance(described, dict)
        _assert_json(described, "describe()")

    def test_params_schema_refuses_unknown_keys(self) -> None:
        with pytest.raises(marshmallow.ValidationError) as refused:
            self.provider_class.params_schema().load({"conformance_unknown_key": 1})
        assert "conformance_unknown_key" in refused.value.messages_dict

    def test_params_schema_converts_to_json_schema(self) -> None:
        """``GET /providers`` shows the schema through apispec; a field it cannot convert breaks that."""
        apispec_marshmallow = pytest.importorskip("apispec.ext.marshmallow")
        converter = apispec_marshmallow.OpenAPIConverter("3.0.3", lambda schema: None, None)
        _assert_json(converter.schema2jsonschema(self.provider_class.params_schema), "the params JSON schema")

    def test_job_params_load(self) -> None:
        """The kit's job carries params the provider's own schema accepts."""
        job = self.make_job()
        self.provider_class.params_schema().load(job.provider_params)

    # -- the job's life -----------------------------------------------------------------------

    def test_submit(self) -> None:
        _, submission = self.submitted_job()
        _assert_json(submission.reference, "Submission.reference")
        _assert_status(submission.status, "submit's status")
        assert submission.status.state != "error", f"the job was refused: {submission.status.error}"

    def test_synchronous_submit_returns_the_captions(self) -> None:
        if not self.provider_class.synchronous:
            pytest.skip("not a synchronous provider: captions come from fetch")
        job, submission = self.submitted_job()
        assert submission.status.state == "done", "a synchronous provider finishes in submit"
        assert submission.result is not None, "state is done but Submission.result is missing"
        self.assert_result(submission.result, job)

    def test_check_after_submit(self) -> None:
        if self.provider_class.synchronous:
            pytest.skip("synchronous provider: nothing to check")
        provider = self.make_provider()
        job, _ = self.submitted_job(provider)
        _assert_status(provider.check(job), "check after submit")

    def test_fetch_when_done(self) -> None:
        if self.provider_class.synchronous:
            pytest.skip("synchronous provider: nothing to fetch")
        provider = self.make_provider()
        job, _ = self.submitted_job(provider)
        self.drive_to_done(provider, job)
        status = provider.check(job)
        _assert_status(status, "check once done")
        assert status.state == "done", f"check says {status.state} after drive_to_done"
        job = dataclasses.replace(job, provider_params={**job.provider_params, **status.reference})
        self.assert_result(provider.fetch(job), job)

    def test_foreign_callback(self) -> None:
        provider = self.make_provider()
        job = self.make_job()
        if not self.provider_class.synchronous:
            job, _ = self.submitted_job(provider)
        try:
            outcome = provider.parse_callback(job, self.make_foreign_callback(job))
        except ProviderError:
            assert self.foreign_callback_raises is not False, "parse_callback raised; foreign_callback_raises = False"
            return
        assert outcome is None, f"parse_callback returned {outcome!r} for a callback about another order"
        assert self.foreign_callback_raises is not True, "parse_callback returned None; foreign_callback_raises = True"

    # -- the HTTP fault table -----------------------------------------------------------------

    @pytest.mark.parametrize(("fault", "operation"), _fault_cases())
    def test_http_fault(self, fault: Fault, operation: str, request: pytest.FixtureRequest) -> None:
        if not self.is_remote:
            pytest.skip("the provider makes no HTTP calls (remote = False)")
        if operation != "submit" and self.provider_class.synchronous:
            pytest.skip(f"synchronous provider: no {operation}")
        if operation == "cancel" and self.provider_class.cancel is Provider.cancel:
            pytest.skip("the provider does not cancel remotely")
        if fault.kind == "silent" and self.timeout_s is None:
            pytest.skip("timeout_s is None")
        fault_server: FaultServer = request.getfixturevalue("fault_server")
        job = self.submitted_job()[0] if operation != "submit" else self.make_job()
        base_url = fault_server.play(fault)
        provider = self.make_provider_for(base_url)
        limit = (self.timeout_s or 0) + 5
        what = f"{operation} against {fault.id}"
        try:
            outcome = call_bounded(lambda: getattr(provider, operation)(job), limit, what)
        except fault.expect as exc:
            if fault.kind != "refused":
                assert fault_server.hits, (
                    f"{what} raised {type(exc).__name__} without calling {base_url}: make_provider_for "
                    "must point every remote base URL at the URL it is given"
                )
            if fault.retry_after is not None and self.honours_retry_after:
                assert isinstance(exc, TransientProviderError) and exc.retry_after == fault.retry_after, (
                    f"Retry-After: {fault.retry_after:g} was not passed on (retry_after={exc.retry_after!r}); "
                    "set honours_retry_after = False if the service never sends it"
                )
        except ProviderError as exc:
            raise AssertionError(
                f"{what} raised {type(exc).__name__}({exc}); {fault.doc} calls for {fault.expect.__name__}"
            ) from exc
        except AssertionError:
            raise
        except Exception as exc:
            raise AssertionError(
                f"{what} leaked {type(exc).__name__}: {exc}. {fault.doc}: the provider must raise "
                f"{fault.expect.__name__} (providers.errors), never a bare exception"
            ) from exc
        else:
            if operation == "cancel" and outcome is False:
                return  # "cannot cancel" is an answer the gateway accepts for any failure
            raise AssertionError(f"{what} returned {outcome!r}; {fault.doc} calls for {fault.expect.__name__}")
