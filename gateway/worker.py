"""RQ workers for the gateway's queues.

``default`` runs dispatch, refresh, finalize and webhooks in a forked work horse per task.
``asr`` runs heavy local work (Whisper) in the worker process itself (``SimpleWorker``), so a
model loaded once stays loaded for every later job; one such worker per core is the rule.
"""

from __future__ import annotations

import logging

from rq import SimpleWorker, Worker

from gateway import tasks
from gateway.services import Services


class _FailVisibly:
    """RQ calls no failure callback when a work horse is killed: fail the job here too."""

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage):
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        tasks.on_task_failure(job, self.connection, None, None, None)


class GatewayWorker(_FailVisibly, Worker):
    pass


class GatewaySimpleWorker(_FailVisibly, SimpleWorker):
    pass


def run_worker(services: Services, queues: list[str], burst: bool = False, name: str | None = None) -> bool:
    """Work on ``queues`` until stopped (or empty, with ``burst``); with the RQ scheduler on."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    cls = GatewaySimpleWorker if "asr" in queues else GatewayWorker
    worker = cls(
        [services.queue(q) for q in queues],
        connection=services.redis,
        name=name,
        maintenance_interval=services.config["workers"]["maintenance_interval_s"],
    )
    return worker.work(burst=burst, with_scheduler=True)
