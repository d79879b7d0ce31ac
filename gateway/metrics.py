"""Prometheus metrics, counted in Redis so that every process on every machine adds to one total.

The gateway's API processes and its workers (and their forked work horses) run on any number of
machines. prometheus-client's multiprocess mode sums the processes of one machine through files
in a shared folder; it cannot see a worker on another machine. So the counts live where the jobs
live: each event is one ``HINCRBY`` in Redis (a counter, or a histogram's bucket, sum and count),
and ``GET /metrics`` renders them with prometheus-client in the text exposition format, together
with the queue depths read at that moment.

A metric belongs here when an event happens once: a job is created once, finishes once (the
store's state transitions guarantee it), a webhook attempt ends once. Nothing is counted on a
hot path twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import redis
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from providers.base import QUEUES

log = logging.getLogger(__name__)

NAMESPACE = "caption_gateway"


@dataclass(frozen=True)
class Metric:
    name: str
    doc: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()  # a histogram when set, else a counter

    @property
    def histogram(self) -> bool:
        return bool(self.buckets)


_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600)

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("jobs_created", "Caption jobs created", ("provider",)),
        Metric("jobs_finished", "Caption jobs finished, by how they ended", ("provider", "status")),
        Metric("provider_errors", "Provider calls that failed, by kind", ("provider", "kind")),
        Metric("webhook_deliveries", "CMS webhook attempts, by outcome", ("outcome",)),
        Metric("job_duration_seconds", "From creation to the end of a job", ("provider", "status"), _DURATION_BUCKETS),
        Metric("job_queue_wait_seconds", "From creation until a worker took the job", ("provider",), _DURATION_BUCKETS),
        Metric(
            "real_time_factor",
            "Processing time over media duration of local transcription (Whisper)",
            ("provider",),
            (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0),
        ),
    )
}


class Metrics:
    """Records events in Redis; one instance per process, from :class:`gateway.services.Services`."""

    def __init__(self, connection: redis.Redis, key_prefix: str) -> None:
        self.redis = connection
        self.prefix = f"{key_prefix}:metrics"

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def inc(self, name: str, amount: int = 1, **labels: str) -> None:
        metric = METRICS[name]
        self._safely(lambda: self.redis.hincrby(self.key(name), _field(metric, labels), amount))

    def observe(self, name: str, value: float, **labels: str) -> None:
        metric = METRICS[name]
        series = _field(metric, labels)
        bucket = next((b for b in metric.buckets if value <= b), "+Inf")

        def write() -> None:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hincrby(self.key(name), f"{series}|le={bucket}", 1)
            pipe.hincrby(self.key(name), f"{series}|count", 1)
            pipe.hincrbyfloat(self.key(name), f"{series}|sum", value)
            pipe.execute()

        self._safely(write)

    def _safely(self, write) -> None:
        """A metric never fails the work it counts: a Redis hiccup costs one count, not a job."""
        try:
            write()
        except redis.RedisError as exc:
            log.warning("metric not recorded: %s", exc)


def _field(metric: Metric, labels: Mapping[str, str]) -> str:
    if set(labels) != set(metric.labels):
        raise ValueError(f"{metric.name} takes the labels {metric.labels}, got {sorted(labels)}")
    return ",".join(f"{name}={_clean(labels[name])}" for name in metric.labels)


def _clean(value: str) -> str:
    return str(value).replace(",", "_").replace("=", "_").replace("|", "_")


def _labels(series: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in series.split(",") if part)


class RedisCollector(Collector):
    """Renders the counts of :class:`Metrics` and the queue depths for prometheus-client."""

    def __init__(self, metrics: Metrics, queue_length) -> None:
        self.metrics = metrics
        self.queue_length = queue_length

    def collect(self) -> Iterator:
        for metric in METRICS.values():
            raw = self.metrics.redis.hgetall(self.metrics.key(metric.name))
            stored = {k.decode(): v.decode() for k, v in raw.items()}
            yield _histogram(metric, stored) if metric.histogram else _counter(metric, stored)
        depth = GaugeMetricFamily(f"{NAMESPACE}_queue_depth", "Tasks waiting in each worker queue", labels=["queue"])
        for name in QUEUES:
            depth.add_metric([name], self.queue_length(name))
        yield depth


def _counter(metric: Metric, stored: Mapping[str, str]) -> CounterMetricFamily:
    family = CounterMetricFamily(f"{NAMESPACE}_{metric.name}", metric.doc, labels=list(metric.labels))
    for series, value in sorted(stored.items()):
        labels = _labels(series)
        family.add_metric([labels.get(n, "") for n in metric.labels], float(value))
    return family


def _histogram(metric: Metric, stored: Mapping[str, str]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(f"{NAMESPACE}_{metric.name}", metric.doc, labels=list(metric.labels))
    for series in sorted({field.split("|", 1)[0] for field in stored}):
        labels = _labels(series)
        family.add_metric(
            [labels.get(n, "") for n in metric.labels],
            _cumulative(metric.buckets, stored, series),
            float(stored.get(f"{series}|sum", 0)),
        )
    return family


def _cumulative(bounds: Sequence[float], stored: Mapping[str, str], series: str) -> list[tuple[str, float]]:
    total, out = 0.0, []
    for bound in (*bounds, "+Inf"):
        total += float(stored.get(f"{series}|le={bound}", 0))
        out.append((str(float(bound)) if bound != "+Inf" else "+Inf", total))
    return out


def exposition(metrics: Metrics, queue_length) -> bytes:
    """The text exposition of every metric (what ``GET /metrics`` answers)."""
    from prometheus_client import generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(metrics, queue_length))
    return generate_latest(registry)
