"""Deleting jobs (``DELETE /jobs/<id>``) and retention (``jobs.retention_days``).

Deleting runs in an order that never shows a client a job whose files are gone, and never
leaves a file without its job:

1. a running job is cancelled (the provider is told, best effort);
2. the ``finalize`` claim is taken, so no task stores outputs meanwhile (when a task holds it
   now, the deletion waits: the API answers 409, retention tries again at its next pass);
3. the job leaves every index and is marked as being deleted (``GET`` answers 404 from here);
4. its outputs and media are deleted from storage;
5. the record and the mark are removed.

A process that dies between 3 and 5 leaves the mark; the next retention pass finishes the
deletion. A synchronous provider (Whisper) that was already writing outputs when its job was
deleted is answered by a second sweep of the job's file keys a minute later.

Uploads without a job (a gateway process that died between storing a job's media and writing
the job) are removed by ``sweep_orphan_uploads``, run by one worker every
``storage.orphan_sweep_interval_s`` (a lease key), once they are ``storage.orphan_upload_grace_s`` old.

Retention is a chain of ``purge_expired`` tasks: the workers start it at their maintenance
pass when none is alive (:func:`gateway.tasks.start_chain`), and each run deletes at most
``jobs.retention_batch`` finished jobs older than ``jobs.retention_days`` (by finishing time),
then enqueues the next run through RQ's scheduler (at once again while there is more).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from gateway import tasks
from gateway.models import CANCELLED, Job, now
from gateway.services import Services, get_services
from gateway.views import follow_view
from providers.errors import ProviderError
from storage import LocalStorage, S3Storage, Storage, StorageError

log = logging.getLogger(__name__)

CLAIM_OWNER = "delete"
UPLOADS_PREFIX = "uploads"  # uploads/<job id>/<file name>
SECOND_SWEEP_DELAY_S = 60
NEXT_BATCH_DELAY_S = 1


def delete_job(services: Services, job_id: str) -> bool:
    """Delete a job with its files; ``False`` when a task is storing its outputs right now.

    Raises ``StorageError`` when storage fails (the job stays hidden and retention retries).
    """
    job = services.store.get(job_id)
    if job is None:
        services.store.finish_delete(job_id)  # only a leftover mark, if anything
        return True
    was_running = not job.terminal
    if was_running:
        job = cancel_for_deletion(services, job)
    if not services.store.claim("finalize", job_id, services.config["workers"]["job_timeout_s"], CLAIM_OWNER):
        return False
    services.store.begin_delete(job)
    keys = file_keys(job)
    delete_files(services, keys)
    services.store.finish_delete(job_id)
    if was_running:
        tasks.enqueue(services, sweep_files, job_id, keys, delay=SECOND_SWEEP_DELAY_S)
    log.info("job %s deleted", job_id)
    return True


def cancel_for_deletion(services: Services, job: Job) -> Job:
    """Cancel a running job and tell its provider (best effort: the job goes either way)."""
    cancelled = services.store.transition(job.id, CANCELLED, details="cancelled: deleted")
    job = cancelled or services.store.get(job.id) or job
    if cancelled is not None and job.submitted_at is not None:
        try:
            services.provider(job.provider).cancel(follow_view(job))
        except (ProviderError, KeyError) as exc:
            log.warning("job %s: the provider was not told of its deletion: %s", job.id, exc)
    return job


def file_keys(job: Job) -> list[str]:
    """Every storage key the job may have written: its outputs (recorded or about to be) and media."""
    keys = {o.key for o in job.outputs}
    keys.update(f"jobs/{job.id}/{job.id}.{fmt}" for fmt in job.output_types)
    if job.media_key:
        keys.add(job.media_key)
    return sorted(keys)


def delete_files(services: Services, keys: list[str]) -> None:
    for key in keys:
        services.storage.delete(key)


def sweep_files(job_id: str, keys: list[str]) -> None:
    """Delete the file keys of a deleted job again (outputs a running task wrote late)."""
    services = get_services()
    if services.store.get(job_id) is None:
        delete_files(services, keys)


# -- retention -------------------------------------------------------------------------------


def keep_purging(services: Services) -> None:
    """Start the retention chain unless it is off or alive (run at each maintenance pass)."""
    jobs = services.config["jobs"]
    if jobs["retention_days"]:
        tasks.start_chain(services, "retention", jobs["retention_interval_s"], purge_expired)


def purge_expired() -> None:
    """One retention pass, then the next one after ``jobs.retention_interval_s``."""
    services = get_services()
    jobs = services.config["jobs"]
    if not jobs["retention_days"]:
        return
    tasks.renew_chain(services, "retention", jobs["retention_interval_s"])
    full = purge_once(services) >= jobs["retention_batch"]
    tasks.enqueue(services, purge_expired, delay=NEXT_BATCH_DELAY_S if full else jobs["retention_interval_s"])


def purge_once(services: Services) -> int:
    """Finish interrupted deletions, then delete one batch of expired jobs; how many it tried."""
    jobs = services.config["jobs"]
    batch = jobs["retention_batch"]
    cutoff_ms = int((now() - jobs["retention_days"] * 86400) * 1000)
    candidates = services.store.deleting(batch) + services.store.finished_before(cutoff_ms, batch)
    for job_id in candidates:
        try:
            delete_job(services, job_id)
        except StorageError as exc:  # the job stays hidden; the next pass tries again
            log.warning("job %s: its files could not be deleted: %s", job_id, exc)
    return len(candidates)


# -- uploads without a job -------------------------------------------------------------------


def keep_sweeping_uploads(services: Services) -> None:
    """Queue a sweep of uploads without a job, at most once per ``storage.orphan_sweep_interval_s``."""
    interval = services.config["storage"]["orphan_sweep_interval_s"]
    key = f"{services.config['redis']['key_prefix']}:upload-sweep"
    if interval and services.redis.set(key, "1", nx=True, ex=int(interval)):
        tasks.enqueue(services, sweep_orphan_uploads)


def sweep_orphan_uploads() -> int:
    """Delete uploads older than the grace period whose job does not exist; how many it deleted."""
    services = get_services()
    oldest = now() - services.config["storage"]["orphan_upload_grace_s"]
    removed = 0
    for key, modified_at in stored_uploads(services.storage):
        job_id = key.split("/")[1]
        if modified_at > oldest or services.store.get(job_id) is not None or services.store.is_deleting(job_id):
            continue
        services.storage.delete(key)
        log.info("removed upload %s: no job refers to it", key)
        removed += 1
    return removed


def stored_uploads(storage: Storage) -> Iterator[tuple[str, float]]:
    """Every stored upload as (key, time last written), for the storage backends that list."""
    if isinstance(storage, LocalStorage):
        yield from _local_uploads(storage.root)
    elif isinstance(storage, S3Storage):
        yield from _s3_uploads(storage)


def _local_uploads(root: Path) -> Iterator[tuple[str, float]]:
    for folder, _dirs, files in os.walk(root / UPLOADS_PREFIX):
        for name in files:
            path = Path(folder) / name
            key = path.relative_to(root).as_posix()
            if key.count("/") != 2 or name.startswith("."):  # uploads/<job>/<file>; not a write under way
                continue
            with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: its job finished
                yield key, path.stat().st_mtime


def _s3_uploads(storage: S3Storage) -> Iterator[tuple[str, float]]:
    base = f"{storage.prefix}/" if storage.prefix else ""
    paginator = storage.client.get_paginator("list_objects_v2")
    pages = paginator.paginate(Bucket=storage.bucket, Prefix=f"{base}{UPLOADS_PREFIX}/")
    for page in pages:
        for item in page.get("Contents", []):
            key = item["Key"][len(base) :]
            if key.count("/") == 2:
                yield key, item["LastModified"].timestamp()
