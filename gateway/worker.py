"""RQ workers for the gateway's queues.

``default`` runs dispatch, refresh, finalize and webhooks in a forked work horse per task.
``asr`` runs heavy local work (Whisper) in the worker process itself (``SimpleWorker``), so a
model loaded once stays loaded for every later job; run one such worker per GPU, or one per 2-4
CPU cores (with the Whisper ``cpu_threads`` setting to match).

A worker that starts, and one whose work horse was killed, removes the temporary media left
behind by processes that no longer exist (:func:`gateway.media.remove_stale_media`).

A running task holds a lease of :data:`LEASE_BEATS` heartbeats (``workers.heartbeat_interval_s``
each); when its worker dies, the lease runs out and the next maintenance pass of a worker of that
queue (every ``workers.maintenance_interval_s``) runs the task again: with the defaults, 10 s and
15 s, within 45 s of the last heartbeat. A worker that loses Redis waits for it, with backoff,
and goes on working.
"""

from __future__ import annotations

import logging
import signal
import threading

from rq import SimpleWorker, Worker
from rq.worker import WorkerStatus

from gateway import retention, tasks
from gateway.logs import configure_logging
from gateway.media import remove_stale_media
from gateway.redisconn import REDIS_DOWN
from gateway.services import Services, get_services

log = logging.getLogger(__name__)

#: A running task's lease, in heartbeats: it outlives two missed beats, not a dead worker.
LEASE_BEATS = 3
#: Waiting for a lost Redis: the first pause and the longest one (doubled in between).
RECONNECT_FIRST_S = 1.0
RECONNECT_MAX_S = 30.0


class _FailVisibly:
    """RQ calls no failure callback when a work horse is killed: fail the job here too.

    Maintenance passes also restart the event-pull chains of providers that have an event
    queue, should one have stopped (:func:`gateway.tasks.keep_event_pulls`). A task's lease is
    :data:`LEASE_BEATS` heartbeats, not RQ's heartbeat plus a minute.
    """

    stop_asked = False

    def request_stop(self, signum, frame):
        self.stop_asked = True
        super().request_stop(signum, frame)

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        return self.job_monitoring_interval * LEASE_BEATS

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        _remove_stale_media()
        tasks.on_task_failure(job, self.connection, None, None, None)

    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        _start_periodic_tasks()


class GatewayWorker(_FailVisibly, Worker):
    pass


class GatewaySimpleWorker(_FailVisibly, SimpleWorker):
    """Runs tasks in its own process (a loaded model stays loaded), with heartbeats from a thread.

    RQ's SimpleWorker gives a running task a heartbeat lease as long as the job timeout (an hour
    here), so the task of a killed worker would wait that long to be found abandoned and run
    again. Like the forking worker's monitor loop, a thread renews a short lease instead.
    """

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


def _start_periodic_tasks() -> None:
    """The providers' event pulls, retention and the sweep of uploads without a job, unless running."""
    try:
        tasks.keep_event_pulls(get_services())
        retention.keep_purging(get_services())  # jobs.retention_days
        retention.keep_sweeping_uploads(get_services())
    except Exception:  # a maintenance pass must never stop a worker; the next one tries again
        log.exception("could not start the periodic tasks")


def run_worker(services: Services, queues: list[str], burst: bool = False, name: str | None = None) -> bool:
    """Work on ``queues`` until stopped (or empty, with ``burst``); with the RQ scheduler on.

    First removes the temporary media of processes that died before they could (SIGKILL, OOM).
    RQ's worker quits when it loses Redis; a new one starts once Redis answers again.
    """
    configure_logging(services.config["logging"])
    _remove_stale_media()
    worked = False
    while True:
        worker = None
        try:
            worker = make_worker(services, queues, name)  # registers with Redis
            if "default" in queues:
                _start_periodic_tasks()
            worked = worker.work(burst=burst, with_scheduler=True) or worked
        except REDIS_DOWN as exc:
            log.warning("worker for %s lost Redis: %s", ", ".join(queues), exc)
        if burst or (worker is not None and worker.stop_asked) or not wait_for_redis(services):
            return worked
        log.info("Redis answers again: worker for %s starts anew", ", ".join(queues))


def make_worker(services: Services, queues: list[str], name: str | None = None) -> Worker:
    cls = GatewaySimpleWorker if "asr" in queues else GatewayWorker
    maintenance = services.config["workers"]["maintenance_interval_s"]
    return cls(
        [services.queue(q) for q in queues],
        connection=services.redis,
        name=name,
        maintenance_interval=maintenance,
        # An idle worker blocks on the queue for worker_ttl - 15 s and runs maintenance only
        # between waits: this keeps the wait as short as the maintenance interval.
        worker_ttl=maintenance + 15,
        job_monitoring_interval=services.config["workers"]["heartbeat_interval_s"],
    )


def wait_for_redis(services: Services) -> bool:
    """Wait until Redis answers, pausing 1 s, then twice as long each time up to
    :data:`RECONNECT_MAX_S`; ``False`` when SIGTERM or SIGINT came first."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    pause = RECONNECT_FIRST_S
    while not stop.wait(pause):
        try:
            services.redis.ping()
            return True
        except REDIS_DOWN as exc:
            pause = min(pause * 2, RECONNECT_MAX_S)
            log.warning("waiting for Redis (again in %.0f s): %s", pause, exc)
    return False
