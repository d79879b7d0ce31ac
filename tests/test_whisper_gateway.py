"""Local Whisper through the whole gateway: multipart media upload, real asr worker, real model."""

from __future__ import annotations

import pytest
import redis
from rq import Worker

import formats
from tests.support.services import wait_for
from tests.support.speech import LONG_SCRIPT, NEWS_SCRIPT, garbage_mp4, speech_mp4
from tests.test_whisper import word_error_rate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("gateway-media")
    return {
        "news": speech_mp4(NEWS_SCRIPT, folder, "news"),
        "long": speech_mp4(LONG_SCRIPT, folder, "long"),
        "broken": garbage_mp4(folder),
    }


def post_media(api, path, **fields) -> dict:
    data = {"parent_id": "video-whisper", "provider": "whisper", "output_types": "vtt,srt,txt", **fields}
    with open(path, "rb") as fh:
        response = api.post("/captions", data=data, files={"media": (path.name, fh, "video/mp4")})
    assert response.status_code == 201, response.text
    return response.json()


def test_uploaded_video_is_captioned(api, clips):
    done = api.wait_job(post_media(api, clips["news"])["id"], timeout=120)
    assert done["status"] == "done", done
    text = api.get(f"/jobs/{done['id']}/download/txt").text
    assert word_error_rate(NEWS_SCRIPT, text) <= 0.10
    vtt = api.get(f"/jobs/{done['id']}/download/vtt").content
    assert formats.validate_webvtt(vtt) == []
    assert done["quality"]["violations"] == 0, done["quality"]
    assert done["provider_info"]["language"] == "en"


def test_model_is_loaded_once_for_two_jobs(api, clips):
    first = api.wait_job(post_media(api, clips["news"])["id"], timeout=120)
    second = api.wait_job(post_media(api, clips["news"])["id"], timeout=120)
    assert first["status"] == second["status"] == "done"
    assert first["provider_info"]["worker_pid"] == second["provider_info"]["worker_pid"]
    assert second["provider_info"]["model_loads"] == first["provider_info"]["model_loads"] == 1


def test_progress_rises_while_it_runs(api, clips):
    job = post_media(api, clips["long"])
    seen: list[int] = []

    def finished():
        current = api.get(f"/jobs/{job['id']}").json()
        if current["progress"] is not None and current["status"] == "processing":
            seen.append(current["progress"])
        return current["status"] in ("done", "error")

    wait_for(finished, 180, 0.05, what="the long transcription")
    assert len(set(seen)) >= 2, seen
    assert seen == sorted(seen) and 0 < seen[-1] < 100


def test_cancel_stops_a_running_transcription(api, clips, redis_server):
    job = post_media(api, clips["long"])
    wait_for(lambda: (api.get(f"/jobs/{job['id']}").json()["progress"] or 0) > 0, 120, 0.05, what="progress")
    assert api.post(f"/jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    connection = redis.Redis.from_url(redis_server.url)

    def asr_idle():
        workers = [w for w in Worker.all(connection=connection) if "asr" in w.queue_names()]
        return workers and all(w.get_state() == "idle" for w in workers)

    wait_for(asr_idle, 15, 0.1, what="the asr worker to stop the cancelled transcription")
    assert api.get(f"/jobs/{job['id']}").json()["status"] == "cancelled"


def test_unreadable_media_fails_cleanly(api, clips):
    failed = api.wait_job(post_media(api, clips["broken"])["id"], timeout=60)
    assert failed["status"] == "error"
    assert "cannot decode media" in failed["error"]


def test_a_killed_asr_worker_does_not_leave_its_job_stuck(api, clips, workers):
    """SIGKILL the asr worker mid-transcription; a new worker runs the job again to the end.

    The dead worker's lease on the task runs out a minute after its last heartbeat, then
    maintenance puts the task back on the queue.
    """
    job = post_media(api, clips["long"])
    wait_for(lambda: (api.get(f"/jobs/{job['id']}").json()["progress"] or 0) > 0, 120, 0.05, what="progress")
    workers["asr"].kill()
    workers["asr"].start()
    done = api.wait_job(job["id"], timeout=240)
    assert done["status"] == "done", done
    assert word_error_rate(LONG_SCRIPT, api.get(f"/jobs/{job['id']}/download/txt").text) <= 0.15
