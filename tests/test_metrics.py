"""Metrics, health probes and job logs through the real API, Redis and worker processes."""

from __future__ import annotations

import json

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from gateway.api.system import address_allowed
from tests.support.services import wait_for
from tests.support.stack import GatewayStack

MEDIA = "http://127.0.0.1:1/video.mp4"


def metric_value(text: str, name: str, **labels: str) -> float:
    """The sample ``name{labels}`` of a Prometheus text exposition (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


def test_a_finished_job_is_counted_once_across_processes(api, anonymous, simulator):
    simulator.state.behaviour.reads_to_finish = 1
    created = api.post("/captions", json={"media_url": MEDIA, "parent_id": "m-1", "provider": "demo"})
    assert created.status_code == 201, created.text
    assert api.wait_job(created.json()["id"])["status"] == "done"

    text = anonymous.get("/metrics").text  # loopback: no key needed
    assert metric_value(text, "caption_gateway_jobs_created_total", provider="demo") == 1
    assert metric_value(text, "caption_gateway_jobs_finished_total", provider="demo", status="done") == 1
    count = "caption_gateway_job_duration_seconds_count"
    assert metric_value(text, count, provider="demo", status="done") == 1
    assert metric_value(text, "caption_gateway_job_queue_wait_seconds_count", provider="demo") == 1
    assert 'caption_gateway_queue_depth{queue="asr"}' in text


def test_provider_errors_and_failed_jobs_are_counted(api, anonymous, simulator):
    simulator.state.behaviour.reject_orders = "media could not be fetched"
    created = api.post("/captions", json={"media_url": MEDIA, "parent_id": "m-2", "provider": "demo"}).json()
    assert api.wait_job(created["id"])["status"] == "error"
    text = anonymous.get("/metrics").text
    assert metric_value(text, "caption_gateway_provider_errors_total", provider="demo", kind="permanent") == 1
    assert metric_value(text, "caption_gateway_jobs_finished_total", provider="demo", status="error") == 1


def test_metrics_are_served_to_the_allowed_networks_only():
    assert address_allowed("127.0.0.1", ["127.0.0.0/8"])
    assert address_allowed("::1", ["127.0.0.0/8", "::1/128"])
    assert not address_allowed("203.0.113.9", ["127.0.0.0/8", "::1/128"])
    assert not address_allowed(None, ["127.0.0.0/8"])


@pytest.fixture(scope="module")
def probed(redis_server, simulator, tmp_path_factory):
    with GatewayStack(
        redis_server,
        tmp_path_factory.mktemp("probes"),
        db=11,
        providers={"demo": {"base_url": simulator.url}},
        env={"GATEWAY_PROVIDERS_DEMO_API_KEY": "demo-key"},
        asr_worker=True,
    ) as stack:
        yield stack


def test_readiness_needs_a_live_worker_on_every_queue(probed):
    live = requests.get(probed.url + "/health/live", timeout=5)
    assert live.status_code == 200
    wait_for(lambda: requests.get(probed.url + "/health/ready", timeout=5).status_code == 200, 30, what="ready")
    probed.workers[-1].kill()  # the asr worker
    try:
        answer = wait_for(
            lambda: (r := requests.get(probed.url + "/health/ready", timeout=5)).status_code == 503 and r.json(),
            45,
            0.5,
            what="readiness to notice the dead worker",
        )
        assert answer["checks"]["workers_by_queue"]["asr"] == 0
    finally:
        probed.restart_dead_workers()
    wait_for(lambda: requests.get(probed.url + "/health/ready", timeout=5).status_code == 200, 30, what="ready again")


def test_workers_log_one_json_line_per_finished_job(probed, simulator):
    simulator.state.behaviour.reject_orders = "the order was refused"
    client = probed.client()
    job = client.post("/captions", json={"media_url": MEDIA, "parent_id": "log-1", "provider": "demo"}).json()
    assert client.wait_job(job["id"])["status"] == "error"

    def logged():
        for path in probed.folder.glob("worker-*-default.log"):
            for line in path.read_text().splitlines():
                if line.startswith("{") and job["id"] in line:
                    record = json.loads(line)
                    if record.get("message") == "job failed":
                        return record
        return None

    record = wait_for(logged, 15, what="the job's log line")
    assert record["level"] == "WARNING" and record["provider"] == "demo" and record["status"] == "error"
    assert "the order was refused" in record["reason"] and record["duration_s"] >= 0
