"""Worker tasks. Each takes a job id and reads the job from the store, so any worker runs it.

    dispatch(job_id)        the provider submits, once per job; synchronous providers finish here
    refresh(job_id, poll,   ask the provider where the job is; ``poll`` numbers the polling
            reported)       chain (callbacks pass ``None`` and never schedule); ``reported``
                            is a status a callback or an event carried, applied without asking
    finalize(job_id)        fetch, render, store, mark done: once per job, whoever calls it
    cancel_remote(job_id)   tell the provider a job was cancelled
    pull_events(provider)   read a provider's event queue, every ``events_interval`` seconds
    deliver_webhook(job_id) POST the finished job to its callback_url, signed, with retries
    discard_media(job_id)   delete the media uploaded with a finished job (``storage.keep_uploads``)

Provider errors decide what happens next: a ``TransientProviderError`` re-runs the same task
later with backoff (bounded by ``workers.transient_retries``), a ``PermanentProviderError``
fails the job with the provider's message. A task that crashes or whose worker dies is run
again by RQ (``workers.task_retries``) and, when out of retries, fails the job visibly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
from rq import Callback, Retry, get_current_job
from rq.exceptions import AbandonedJobError
from rq.job import Job as RQJob

import formats
from gateway import netguard
from gateway.auth import sign_webhook
from gateway.models import CANCELLED, DONE, ERROR, PROCESSING, Job, Output, now
from gateway.paths import hide_paths
from gateway.schemas import job_payload
from gateway.services import Services, get_services
from gateway.views import follow_view, submit_view
from providers.base import FINISHED, CaptionResult, ProviderEvent, ProviderStatus
from providers.errors import ProviderError, TransientProviderError
from storage import StorageError, content_type_for

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_TRANSIENT_DELAY_S = 600
MAX_WEBHOOK_DELAY_S = 3600
TASK_RETRY_DELAYS_S = (0, 30, 120)


# -- enqueueing ------------------------------------------------------------------------------


def enqueue(
    services: Services,
    func: Callable,
    *args: Any,
    queue: str = "default",
    delay: float = 0,
    pipeline=None,
    urgent: bool = False,
) -> RQJob:
    """Put a task on a queue (now, or after ``delay`` seconds through RQ's scheduler).

    With ``pipeline`` the task is written as part of that Redis transaction. An ``urgent`` task
    goes to the front of the queue: a provider just said a job changed (a callback, an event), and
    that news should not wait behind a backlog of orders and scheduled polls.
    """
    workers = services.config["workers"]
    options = {
        "job_timeout": workers["job_timeout_s"],
        "retry": task_retry(workers["task_retries"]),
        "on_failure": Callback(on_task_failure),
        "result_ttl": 600,
        "pipeline": pipeline,
    }
    q = services.queue(queue)
    if delay > 0:
        return q.enqueue_in(timedelta(seconds=delay), func, *args, **options)
    return q.enqueue(func, *args, at_front=urgent, **options)


def task_retry(retries: int) -> Retry | None:
    """RQ's retries of a task: the first at once (a task whose worker died), later ones after
    :data:`TASK_RETRY_DELAYS_S` (RQ takes the delays from the end of the list, so it has one per retry)."""
    if retries <= 0:
        return None
    delays = [TASK_RETRY_DELAYS_S[min(i, len(TASK_RETRY_DELAYS_S) - 1)] for i in range(retries)]
    return Retry(max=retries, interval=delays)


def on_task_failure(rq_job: RQJob, connection, exc_type, exc_value, _tb) -> None:
    """A task raised or its worker died. A worker that died is counted on the job (its progress
    starts again); once RQ has no retry left, the job fails visibly."""
    job_id = rq_job.args[0] if rq_job.args else None
    if not job_id or rq_job.func_name.endswith("pull_events"):  # a provider's chain, not a job
        return
    services = get_services()
    worker_stopped = exc_type is None or issubclass(exc_type, AbandonedJobError)
    job = record_worker_stop(services, job_id, bool(rq_job.retries_left)) if worker_stopped else None
    if rq_job.retries_left:
        return
    reason = worker_stop_reason(job) if worker_stopped else f"{exc_type.__name__}: {exc_value}"
    log.error("task %s for job %s failed for good: %s", rq_job.func_name, job_id, reason)
    if rq_job.func_name.endswith("deliver_webhook"):
        return
    fail(services, job_id, f"internal error while running {rq_job.func_name.rsplit('.', 1)[-1]}: {reason}")


def record_worker_stop(services: Services, job_id: str, runs_again: bool) -> Job | None:
    """Count a worker that died running a task of the job; the progress it reported is void."""

    def change(j: Job) -> bool:
        if j.terminal:
            return False
        j.worker_stops += 1
        j.worker_stopped_at = now()
        j.progress = 0 if j.progress is not None else None
        j.details = "the worker running this job stopped" + ("; it runs again" if runs_again else "")
        return True

    return services.store.update(job_id, change) or services.store.get(job_id)


def worker_stop_reason(job: Job | None) -> str:
    """``the worker running it stopped 3 times, last at 2026-12-04T10:00:00Z``."""
    if job is None or not job.worker_stops:
        return "the worker running it stopped"
    times = "once" if job.worker_stops == 1 else f"{job.worker_stops} times"
    when = datetime.fromtimestamp(job.worker_stopped_at or now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"the worker running it stopped {times}, last at {when}"


# -- outcomes --------------------------------------------------------------------------------


def fail(services: Services, job_id: str, message: str, details: str | None = None) -> Job | None:
    """Fail the job with ``message`` (server paths in it, a temporary file's say, are hidden)."""
    root = services.config["storage"]["local"]["root"]
    fields: dict[str, Any] = {"error": hide_paths(message, root)}
    if details is not None:
        fields["details"] = hide_paths(details, root)
    job = services.store.transition(job_id, ERROR, **fields)
    if job is not None:
        on_finished(services, job)
    return job


def on_finished(services: Services, job: Job) -> None:
    """A job just finished (done, error or cancelled): queue its CMS webhook, drop its upload.

    The upload goes once the job is over, not before: a remote provider fetches it when it
    starts work, which may be hours after the order. Called once per job, by whoever made the
    transition, so the job is counted and logged once.
    """
    total_s = job.timings()["total_s"]
    services.metrics.inc("jobs_finished", provider=job.provider, status=job.status)
    services.metrics.observe("job_duration_seconds", total_s, provider=job.provider, status=job.status)
    level = logging.WARNING if job.status == ERROR else logging.INFO
    log.log(level, "job %s", "failed" if job.status == ERROR else job.status, extra=job_log_fields(job, total_s))
    if job.callback_url:
        enqueue(services, deliver_webhook, job.id)
    if job.media_key and not services.config["storage"]["keep_uploads"]:
        enqueue(services, discard_media, job.id)


def job_log_fields(job: Job, duration_s: float | None = None) -> dict[str, Any]:
    """What a log line about a job carries (a JSON log line has them as fields)."""
    fields = {"job_id": job.id, "provider": job.provider, "status": job.status}
    if duration_s is not None:
        fields["duration_s"] = duration_s
    if job.error:
        fields["reason"] = job.error
    return fields


def apply_status(services: Services, job: Job, status: ProviderStatus) -> None:
    """Record what the provider said; finish the job when the provider has."""
    if status.state == DONE:
        finalize(job.id)
    elif status.state in (ERROR, CANCELLED):
        message = status.error or f"provider reported {status.state}" + (
            f": {status.details}" if status.details else ""
        )
        current = services.store.get(job.id)
        if current is None or current.status == CANCELLED:
            return
        fail(services, job.id, message, details=status.details)
    else:

        def change(j: Job) -> bool:
            if j.terminal:
                return False
            j.status = PROCESSING
            j.details = status.details or j.details
            j.progress = status.progress if status.progress is not None else j.progress
            j.provider_params.update(status.reference)
            j.provider_info.update(status.info)
            return True

        services.store.update(job.id, change)


def transient(services: Services, job_id: str, exc: TransientProviderError, again: Callable, *args: Any) -> None:
    """Run ``again(*args)`` later with backoff, or fail the job when retries are spent."""
    limits = services.config["workers"]

    def count(j: Job) -> bool:
        j.transient_failures += 1
        return not j.terminal

    job = services.store.update(job_id, count)
    if job is None:
        return
    if job.transient_failures > limits["transient_retries"]:
        fail(services, job_id, f"provider unavailable after {job.transient_failures} attempts: {exc}")
        return
    delay = min(limits["transient_backoff_s"] * 2 ** (job.transient_failures - 1), MAX_TRANSIENT_DELAY_S)
    delay = max(delay, exc.retry_after or 0)
    log.warning("job %s: transient provider error (%s), again in %.0f s", job_id, exc, delay)
    queue = services.registry.get_class(job.provider).queue if again is dispatch else "default"
    enqueue(services, again, job_id, *args, queue=queue, delay=delay)


def call_provider(
    services: Services, job: Job, call: Callable[[], T], on_transient: Callable[[TransientProviderError], None]
) -> T | None:
    """Make one provider call; ``None`` when it failed and the failure has been dealt with.

    The one place the error tree is applied: a transient error (media that may download later
    included) goes to ``on_transient``, any other provider error fails the job with its message.
    """
    job_id, provider_id = job.id, job.provider
    try:
        return call()
    except TransientProviderError as exc:
        services.metrics.inc("provider_errors", provider=provider_id, kind="transient")
        on_transient(exc)
    except ProviderError as exc:
        services.metrics.inc("provider_errors", provider=provider_id, kind="permanent")
        fail(services, job_id, str(exc))
    return None


@contextlib.contextmanager
def task_claim(services: Services, name: str, job_id: str) -> Iterator[bool]:
    """Hold the claim ``name`` on a job for the running RQ task; yields whether it was had.

    The claim is the task's own: RQ running the task again after its worker died takes it back
    (see :meth:`JobStore.claim`); it lasts at most a task's timeout and is released at the end.
    """
    current = get_current_job()
    owner = current.id if current is not None else ""
    if not services.store.claim(name, job_id, services.config["workers"]["job_timeout_s"], owner):
        yield False
        return
    try:
        yield True
    finally:
        services.store.release(name, job_id)


# -- the tasks -------------------------------------------------------------------------------


def dispatch(job_id: str) -> None:
    """Order the job from its provider (for a synchronous one: run it), once.

    A second dispatch of the same job (queued twice: Redis re-running the transaction that made
    the job after its answer was lost, say) steps aside while this one holds the claim, and
    afterwards finds the order recorded and follows it.
    """
    services = get_services()
    with task_claim(services, "dispatch", job_id) as held:
        if held:
            _dispatch(services, job_id)


def _dispatch(services: Services, job_id: str) -> None:
    job = services.store.get(job_id)
    if job is None or job.terminal:
        return
    provider = services.provider(job.provider)
    if job.submitted_at is not None and not provider.synchronous:
        # an earlier run ordered already and its worker died: follow that order, never order twice
        enqueue(services, refresh, job_id, job.poll_attempt or 1)
        return
    first_start = job.started_at is None
    job = services.store.transition(job_id, PROCESSING, started_at=job.started_at or now())
    if job is None:
        return
    if first_start:
        services.metrics.observe("job_queue_wait_seconds", job.timings()["queue_s"], provider=job.provider)
    submission = call_provider(
        services, job, lambda: provider.submit(submit_view(services, job)),
        on_transient=lambda exc: transient(services, job_id, exc, dispatch),
    )  # fmt: skip
    if submission is None:
        return

    def record(j: Job) -> bool:
        if j.terminal and j.status != CANCELLED:
            return False
        j.provider_params.update(submission.reference)
        j.provider_info.update(submission.status.info)
        j.submitted_at = now()
        if not j.terminal:
            j.details = submission.status.details or j.details
            j.poll_attempt = 1
        return True

    job = services.store.update(job_id, record)
    if job is None:
        return
    if job.status == CANCELLED:  # cancelled while the order was being placed: withdraw it
        if submission.status.state not in FINISHED:
            enqueue(services, cancel_remote, job_id)
        return
    if submission.result is not None:
        complete(services, job, submission.result)
    elif submission.status.state in FINISHED:
        apply_status(services, job, submission.status)
    else:
        enqueue(services, refresh, job_id, 1, delay=provider.poll_initial)


def refresh(job_id: str, poll: int | None = None, reported: dict[str, Any] | None = None) -> None:
    """Ask the provider about a job, or apply what it ``reported`` (a callback or an event).

    Scheduled polls carry their number; a stale one stops. Callbacks and events pass ``None``
    and never schedule.
    """
    services = get_services()
    job = services.store.get(job_id)
    if job is None or job.terminal or job.submitted_at is None:
        return
    if poll is not None and poll != job.poll_attempt:
        return
    provider = services.provider(job.provider)
    if reported is not None:
        apply_status(services, job, ProviderStatus(**reported))
        return

    def on_transient(exc: TransientProviderError) -> None:
        if poll is not None:  # a poll that failed is just a poll: the chain goes on
            schedule_poll(services, job, provider, poll, at_least=exc.retry_after or 0)
        else:
            transient(services, job_id, exc, refresh)

    status = call_provider(services, job, lambda: provider.check(follow_view(job)), on_transient)
    if status is None:
        return
    apply_status(services, job, status)
    if poll is not None and status.state not in FINISHED:
        schedule_poll(services, job, provider, poll)


def schedule_poll(services: Services, job: Job, provider, poll: int, at_least: float = 0) -> None:
    """The next poll after ``poll``, with exponential backoff, until the provider's max wait.

    ``at_least`` is the provider's own hint after a refused poll (``Retry-After``).
    """
    waited = now() - (job.submitted_at or job.created_at)
    if waited >= provider.max_wait:
        fail(services, job.id, f"timed out: {job.provider} did not finish within {provider.max_wait:.0f} s")
        return
    # the exponent is capped so that a long chain (days of polling) never overflows a float
    delay = min(provider.poll_initial * provider.poll_factor ** min(poll, 64), provider.poll_max_interval)
    delay = min(max(delay, at_least), max(provider.max_wait - waited, 1))

    def claim_next(j: Job) -> bool:
        """Only the chain holding number ``poll`` may schedule the next poll."""
        if j.terminal or j.poll_attempt != poll:
            return False
        j.poll_attempt += 1
        return True

    if services.store.update(job.id, claim_next) is not None:
        enqueue(services, refresh, job.id, poll + 1, delay=delay)


def finalize(job_id: str) -> None:
    """Fetch the captions and finish the job; a claim makes racing callers finish it once."""
    services = get_services()
    with task_claim(services, "finalize", job_id) as held:
        if not held:
            return  # another task is finishing it; if its worker dies, RQ runs that task again
        job = services.store.get(job_id)  # read after the claim: an earlier holder may have finished it
        if job is None or job.terminal:
            return
        provider = services.provider(job.provider)
        result = call_provider(
            services, job, lambda: provider.fetch(follow_view(job)),
            on_transient=lambda exc: transient(services, job_id, exc, finalize),
        )  # fmt: skip
        if result is not None:
            complete(services, job, result)


def complete(services: Services, job: Job, result: CaptionResult) -> None:
    """Render and store every requested output, then mark the job done (once).

    A job cancelled or deleted while its provider worked gets no files: nothing would point at them.
    """
    current = services.store.get(job.id)
    if current is None or current.terminal:
        return
    try:
        outputs = store_outputs(services, job, result)
        quality = formats.lint(result.captions, formats.get_profile(job.style or None)).to_dict()
        if "unsure_words" in result.details:  # the provider's list of cues to check first
            quality["unsure_words"] = result.details.pop("unsure_words")
    except formats.CaptionFormatError as exc:
        fail(services, job.id, f"provider returned unusable captions: {exc}")
        return
    except StorageError as exc:  # a full disk, a refused bucket: waiting would not help
        fail(services, job.id, f"the captions could not be stored: {exc}")
        return

    def change(j: Job) -> bool:
        if j.terminal:
            return False
        j.status, j.progress, j.outputs, j.quality = DONE, 100, outputs, quality
        j.error = None
        if result.details.get("language") and j.language == "auto":
            j.language = result.details["language"]
        j.provider_info = {**j.provider_info, **result.details}
        return True

    done = services.store.update(job.id, change)
    if done is not None:
        rtf = result.details.get("real_time_factor")
        if isinstance(rtf, int | float):
            services.metrics.observe("real_time_factor", rtf, provider=job.provider)
        on_finished(services, done)


def store_outputs(services: Services, job: Job, result: CaptionResult) -> list[Output]:
    public = services.config["public_url"].rstrip("/")
    outputs = []
    for fmt in job.output_types:
        data = result.native.get(fmt) or formats.write(result.captions, fmt)
        filename = f"{job.id}.{fmt}"
        key = f"jobs/{job.id}/{filename}"
        services.storage.put(key, data, content_type_for(key))
        outputs.append(Output(type=fmt, filename=filename, key=key, url=f"{public}/jobs/{job.id}/download/{fmt}"))
    return outputs


def cancel_remote(job_id: str) -> None:
    """Tell the provider; the job is already cancelled in the store."""
    services = get_services()
    job = services.store.get(job_id)
    if job is None or job.submitted_at is None:
        return
    provider = services.provider(job.provider)
    try:
        accepted = provider.cancel(follow_view(job))
    except ProviderError as exc:
        accepted, message = False, str(exc)
    else:
        message = "provider confirmed" if accepted else "provider cannot cancel; ignored locally"
    services.store.update(job_id, lambda j: setattr(j, "details", f"cancelled ({message})"))


def discard_media(job_id: str) -> None:
    """Delete the media uploaded with a finished job (a storage error is retried by RQ)."""
    services = get_services()
    job = services.store.get(job_id)
    if job is not None and job.terminal and job.media_key:
        services.storage.delete(job.media_key)


def deliver_webhook(job_id: str, attempt: int = 1) -> None:
    """POST the job to its callback_url; non-2xx or network errors are retried with backoff."""
    services = get_services()
    job = services.store.get(job_id)
    if job is None or not job.callback_url:
        return
    hooks = services.config["webhooks"]
    body = job_payload(job).encode()
    headers = {"Content-Type": "application/json", **sign_webhook(services.config["secret_key"], body)}
    try:
        netguard.check_url(job.callback_url, allow=services.allow_networks)
        response = services.webhook_http.post(
            job.callback_url, data=body, headers=headers, timeout=hooks["timeout_s"], allow_redirects=False
        )
        outcome = response.status_code
        ok = 200 <= response.status_code < 300
    except netguard.UnsafeURL as exc:
        refused = {"status": "refused", "error": str(exc)}
        services.store.update(job_id, lambda j: setattr(j, "webhook", refused))
        services.metrics.inc("webhook_deliveries", outcome="refused")
        return
    except requests.RequestException as exc:
        outcome, ok = type(exc).__name__, False
    record = {"status": "delivered" if ok else "retrying", "attempts": attempt, "last": outcome}
    if not ok and attempt > hooks["retries"]:
        record["status"] = "failed"
    services.store.update(job_id, lambda j: setattr(j, "webhook", record))
    services.metrics.inc("webhook_deliveries", outcome=record["status"])
    if record["status"] == "retrying":
        delay = min(hooks["backoff_s"] * 2 ** (attempt - 1), MAX_WEBHOOK_DELAY_S)
        enqueue(services, deliver_webhook, job_id, attempt + 1, delay=delay)


# -- periodic chains -------------------------------------------------------------------------
# A periodic task is a chain: each run re-enqueues the next. The chain holds a lease in Redis
# that each run renews; workers' maintenance passes start a chain whose lease has run out
# (``SET NX``, so two workers never start two chains).


def _chain_key(services: Services, name: str) -> str:
    return f"{services.config['redis']['key_prefix']}:chain:{name}"


def _chain_lease_s(interval: float) -> int:
    """How long a chain may go unseen before a worker starts a new one."""
    return int(interval * 3 + 60)


def start_chain(services: Services, name: str, interval: float, func: Callable, *args: Any) -> None:
    """Start the chain ``name`` (running ``func(*args)`` every ``interval`` s) unless it is alive."""
    if services.redis.set(_chain_key(services, name), "starting", nx=True, ex=_chain_lease_s(interval)):
        enqueue(services, func, *args)


def renew_chain(services: Services, name: str, interval: float) -> None:
    """Called by each run of the chain: it is alive for another lease."""
    services.redis.set(_chain_key(services, name), "running", ex=_chain_lease_s(interval))


# -- provider event queues -------------------------------------------------------------------


def keep_event_pulls(services: Services) -> None:
    """Start the event-pull chain of every provider that has one and whose chain is not alive.

    Run when a worker starts and at each maintenance pass.
    """
    for provider_id in services.registry.enabled():
        interval = services.provider(provider_id).events_interval
        if interval:
            start_chain(services, f"events:{provider_id}", interval, pull_events, provider_id)


def hand_over_events(services: Services, provider_id: str, events: list[ProviderEvent]) -> list[str]:
    """Queue a ``refresh`` for each event about a running job of ``provider_id``; the handles of all.

    Events about no job of ours, another provider's job or a finished job are dropped (and
    still confirmed, so the provider stops sending them).
    """
    handles = []
    for event in events:
        job = services.store.get(event.job_id) if event.job_id else None
        if job is not None and job.provider == provider_id and not job.terminal:
            reported = dataclasses.asdict(event.status) if event.status is not None else None
            enqueue(services, refresh, job.id, None, reported, urgent=True)
        if event.handle:
            handles.append(event.handle)
    return handles


def pull_events(provider_id: str) -> None:
    """Read one batch of a provider's event queue, hand each event to its job, confirm, go on.

    Each event becomes a ``refresh`` task (written to Redis) before it is confirmed, so a
    worker that dies in between leaves the event unconfirmed and the provider sends it again.
    """
    services = get_services()
    provider = services.provider(provider_id)
    interval = provider.events_interval
    if not interval:
        return
    renew_chain(services, f"events:{provider_id}", interval)
    try:
        handles = hand_over_events(services, provider_id, provider.pull_events())
        if handles:
            provider.confirm_events(handles)
    except ProviderError as exc:  # the queue is read again at the next pull
        log.warning("%s: reading the event queue failed: %s", provider_id, exc)
    enqueue(services, pull_events, provider_id, delay=interval)
