"""An asr worker killed in the middle of a Whisper transcription: its task runs again (the lease
is a few heartbeats, then a maintenance pass puts it back), its progress starts again from 0,
and the job is done in the end."""

from __future__ import annotations

import time

import pytest

from tests.support.services import wait_for
from tests.support.speech import LONG_SCRIPT, speech_mp4

pytestmark = pytest.mark.slow


def test_a_worker_killed_mid_whisper_runs_the_job_again(api, workers, tmp_path):
    clip = speech_mp4(LONG_SCRIPT, tmp_path, "long")
    with open(clip, "rb") as fh:
        data = {"parent_id": "killed-mid-whisper", "provider": "whisper", "output_types": "vtt"}
        created = api.post("/captions", data=data, files={"media": (clip.name, fh, "video/mp4")})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]

    def job() -> dict:
        return api.get(f"/jobs/{job_id}").json()

    wait_for(lambda: (job()["progress"] or 0) > 0, 120, 0.05, what="the transcription to start")
    workers["asr"].kill()
    deadline = time.monotonic() + 60  # the job runs again within 60 s of its worker's death
    workers["asr"].start()
    stopped = wait_for(
        lambda: (j := job())["details"].startswith("the worker running this job stopped") and j,
        deadline - time.monotonic(),
        0.1,
        what="the dead worker's task to be put back",
    )
    assert stopped["status"] == "processing" and stopped["progress"] == 0
    wait_for(
        lambda: (job()["progress"] or 0) > 0, deadline - time.monotonic(), 0.1, what="the transcription to run again"
    )
    done = api.wait_job(job_id, timeout=240)
    assert done["status"] == "done", done
