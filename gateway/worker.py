"""RQ workers for the gateway's queues.

``default`` runs dispatch, refresh, finalize and webhooks in a forked work horse per task.
``asr`` runs heavy local work (Whisper) in the worker process itself (``SimpleWorker``), so a
model loaded once stays loaded for every later job; run one such worker per GPU, or one per 2-4
CPU cores (with the Whisper ``cpu_threads`` setting to match).

A worker that starts, and one whose work horse was killed, removes the temporary media left
behind by processes that no longer exist (:func:`gateway.media.remove_stale_media`).
"""

from __future__ import annotations

import logging
import threading

from rq import SimpleWorker, Worker
from rq.worker import WorkerStatus

from gateway import retention, tasks
from gateway.logs import configure_logging
from gateway.media import remove_stale_media
from gateway.services import Services, get_services

log = logging.getLogger(__name__)


class _FailVisibly:
    """RQ calls no failure callback when a work horse is killed: fail the job here too.

    Maintenance passes also restart the event-pull chains of providers that have an event
    queue, should one have stopped (:func:`gateway.tasks.keep_event_pulls`).
    """

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        _remove_stale_media()
        tasks.on_task_failure(job, self.connection, None, None, None)

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        _keep_event_pulls()


class GatewayWorker(_FailVisibly, Worker):
    pass


class GatewaySimpleWorker(_FailVisibly, SimpleWorker):
    """Runs tasks in its own process (a loaded model stays loaded), with heartbeats from a thread.

    RQ's SimpleWorker gives a running task a heartbeat lease as long as the job timeout (an hour
    here), so the task of a killed worker would wait that long to be found abandoned and run
    again. Like the forking worker's monitor loop, a thread renews a short lease instead.
    """

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        return self.job_monitoring_interval + 60

    def execute_job(self, job, queue) -> None:
        execution = self.prepare_execution(job)
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.job_monitoring_interval):
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception:  # a missed beat only shortens the lease; keep working
                    log.exception("heartbeat for %s failed", job.id)

        thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
        thread.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            thread.join()
        self.set_state(WorkerStatus.IDLE)


def _remove_stale_media() -> None:
    try:
        remove_stale_media()
    except OSError:  # never worth stopping a worker for
        log.exception("could not remove the media of stopped processes")


def _keep_event_pulls() -> None:
    try:
        tasks.keep_event_pulls(get_services())
        retention.keep_purging(get_services())  # jobs.retention_days
    except Exception:  # a maintenance pass must never stop a worker; the next one tries again
        log.exception("could not start the providers' event pulls")


def run_worker(services: Services, queues: list[str], burst: bool = False, name: str | None = None) -> bool:
    """Work on ``queues`` until stopped (or empty, with ``burst``); with the RQ scheduler on.

    First removes the temporary media of processes that died before they could (SIGKILL, OOM).
    """
    configure_logging(services.config["logging"])
    _remove_stale_media()
    if "default" in queues:
        _keep_event_pulls()
    cls = GatewaySimpleWorker if "asr" in queues else GatewayWorker
    maintenance = services.config["workers"]["maintenance_interval_s"]
    worker = cls(
        [services.queue(q) for q in queues],
        connection=services.redis,
        name=name,
        maintenance_interval=maintenance,
        # An idle worker blocks on the queue for worker_ttl - 15 s and runs maintenance only
        # between waits: this keeps the wait as short as the maintenance interval.
        worker_ttl=maintenance + 15,
        job_monitoring_interval=services.config["workers"]["heartbeat_interval_s"],
    )
    return worker.work(burst=burst, with_scheduler=True)
