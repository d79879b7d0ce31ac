"""The provider's view of a job (:class:`providers.base.JobView`), built by the gateway.

A view is built once per task, with only what that call needs. Submitting is the one call that
hands the provider URLs: the callback URL (a per-job token signed with the server secret), the
media URL (for an uploaded file, a presigned storage URL or the gateway's tokened media route),
``open_media`` and ``output_url``. Following a job (``check``, ``fetch``, ``cancel``, a callback)
needs the job's ids and references alone, so nothing is signed or presigned for it.
"""

from __future__ import annotations

from typing import Any

from gateway.auth import callback_token, media_token, output_token
from gateway.media import JobMedia
from gateway.models import CANCELLED, Job
from gateway.services import Services
from providers.base import JobView
from providers.errors import PermanentProviderError

#: Providers fetch media and review files when they start work, not when they finish.
PROVIDER_URL_EXPIRY_S = 24 * 3600


def public_url(services: Services, path: str) -> str:
    return f"{services.config['public_url'].rstrip('/')}{path}"


def callback_url(services: Services, job: Job) -> str:
    token = callback_token(services.config["secret_key"], job.provider, job.id)
    return public_url(services, f"/callbacks/{job.provider}/{job.id}?token={token}")


def media_url(services: Services, job: Job) -> str | None:
    """Where a remote provider fetches the media: the CMS's URL, or one for the uploaded file.

    An uploaded file is offered as a presigned storage URL where the backend has them (S3),
    else through the gateway's own ``/jobs/<id>/media`` route with a per-job token.
    """
    if job.media_url or not job.media_key:
        return job.media_url
    presigned = services.storage.url(job.media_key, expires=PROVIDER_URL_EXPIRY_S)
    if presigned:
        return presigned
    token = media_token(services.config["secret_key"], job.id)
    return public_url(services, f"/jobs/{job.id}/media?token={token}")


def output_url(services: Services, job_id: str, fmt: str) -> str:
    """A URL a provider can fetch output ``fmt`` of the finished job ``job_id`` from.

    Raises ``PermanentProviderError`` when that job does not exist or has no such output, so
    a job that asks for a review of a missing file fails with a clear message.
    """
    source = services.store.get(job_id)
    if source is None:
        raise PermanentProviderError(f"source job {job_id} does not exist")
    output = next((o for o in source.outputs if o.type == fmt), None)
    if output is None:
        have = ", ".join(o.type for o in source.outputs) or "none"
        raise PermanentProviderError(f"source job {job_id} ({source.status}) has no {fmt} output (it has: {have})")
    presigned = services.storage.url(output.key, expires=PROVIDER_URL_EXPIRY_S)
    if presigned:
        return presigned
    token = output_token(services.config["secret_key"], job_id, fmt)
    return public_url(services, f"/jobs/{job_id}/output/{fmt}?token={token}")


def follow_view(job: Job) -> JobView:
    """The view for following a submitted job: ids, params and references, no URLs."""
    return JobView(
        id=job.id,
        media_url=job.media_url,
        language=job.language,
        provider_params=dict(job.provider_params),
        output_types=list(job.output_types),
        style=dict(job.style),
    )


def submit_view(services: Services, job: Job) -> JobView:
    """The view for ``submit``: the follow view plus URLs, media access, progress and cancel checks."""
    media = services.config["media"]
    last = {"progress": job.progress}

    def report_progress(pct: int) -> None:
        pct = max(0, min(100, int(pct)))
        if pct != last["progress"]:
            last["progress"] = pct

            def change(j: Job) -> bool:
                j.progress = pct
                return not j.terminal

            services.store.update(job.id, change)

    def is_cancelled() -> bool:
        current = services.store.get(job.id)
        return current is None or current.status == CANCELLED

    view = follow_view(job)
    view.media_url = media_url(services, job)
    view.callback_url = callback_url(services, job)
    view.open_media = JobMedia(
        media_url=job.media_url,
        storage=services.storage,
        storage_key=job.media_key,
        session=services.http,
        max_bytes=media["max_bytes"],
        allow=services.allow_networks,
        timeout=(media["connect_timeout_s"], media["read_timeout_s"]),
        download_timeout=media["download_timeout_s"],
        is_cancelled=is_cancelled,
        retry_slow_source=not job.transient_failures,
    ).open
    view.output_url = lambda job_id, fmt: output_url(services, job_id, fmt)
    view.report_progress = report_progress
    view.is_cancelled = is_cancelled
    view.record = lambda reference: record(services, view, reference)
    return view


def record(services: Services, view: JobView, reference: dict[str, Any]) -> None:
    """Merge ``reference`` into the job's ``provider_params``, in the store and in ``view``."""
    view.provider_params.update(reference)
    services.store.update(view.id, lambda j: j.provider_params.update(reference) or True)
