"""Local Whisper through the whole gateway: multipart media upload, real asr worker, real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
from rq import Worker

import formats
from gateway.media import media_root
from tests.support.services import wait_for
from tests.support.speech import (
    INTERVIEW_SCRIPT,
    LONG_SCRIPT,
    NEWS_SCRIPT,
    garbage_mp4,
    mux_mp4,
    repeated_wav,
    silent_wav,
    speak_wav,
    speech_mp4,
)
from tests.test_whisper import word_error_rate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("gateway-media")
    long = speech_mp4(LONG_SCRIPT, folder, "long")
    return {
        "news": speech_mp4(NEWS_SCRIPT, folder, "news"),
        "long": long,
        # Almost 11 minutes (the long script ten times over): about 30 s of work on two cores.
        "ten_minutes": repeated_wav(folder / "long.wav", folder / "ten-minutes.wav", 10),
        "broken": garbage_mp4(folder),
        # Fast speech in a voice tiny.en finds hard: words it is unsure of.
        "fast": mux_mp4(speak_wav(INTERVIEW_SCRIPT, folder / "fast.wav", "en-gb-scotland", 230), folder / "fast.mp4"),
    }


def post_media(api, path, **fields) -> dict:
    data = {"parent_id": "video-whisper", "provider": "whisper", "output_types": "vtt,srt,txt", **fields}
    kind = "audio/wav" if path.suffix == ".wav" else "video/mp4"
    with open(path, "rb") as fh:
        response = api.post("/captions", data=data, files={"media": (path.name, fh, kind)})
    assert response.status_code == 201, response.text
    return response.json()


def progress_above(api, job_id: str, floor: int) -> int:
    """The job's progress, first seen above ``floor``."""

    def sample():
        progress = api.get(f"/jobs/{job_id}").json()["progress"] or 0
        return progress if progress > floor else None

    return wait_for(sample, 120, 0.05, what=f"progress above {floor}")


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
    """Cancel an 11-minute transcription near its start: the asr worker drops it and is free at once.

    The worker stops after the segment it is on (30-second windows, about 5% of the clip each, one
    per part decoded at once) and says in ``provider_info`` how much of the media it had
    transcribed. A worker that kept transcribing would report the whole clip, or nothing at all.
    """
    job = post_media(api, clips["ten_minutes"], output_types="vtt")
    at_cancel = progress_above(api, job["id"], 5)
    assert api.post(f"/jobs/{job['id']}/cancel").json()["status"] == "cancelled"
    following = post_media(api, clips["news"], output_types="vtt")
    done = api.wait_job(following["id"], timeout=180)
    assert done["status"] == "done", done
    connection = redis.Redis.from_url(redis_server.url)
    workers = [w for w in Worker.all(connection=connection) if "asr" in w.queue_names()]
    assert workers and all(w.get_state() == "idle" for w in workers)
    cancelled = api.get(f"/jobs/{job['id']}").json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["outputs"] == []
    info = cancelled["provider_info"]
    stopped_pct = 100 * info["transcribed_s"] / info["duration_s"]
    assert at_cancel <= stopped_pct < at_cancel + 25, (at_cancel, info)


def test_captions_follow_the_job_style(api, clips):
    """A job's own style profile shapes the cues, and the quality is measured against it."""
    style = {"max_chars_per_line": 32}
    done = api.wait_job(post_media(api, clips["news"], style=json.dumps(style))["id"], timeout=120)
    assert done["status"] == "done", done
    srt = api.get(f"/jobs/{done['id']}/download/srt").text
    lines = [line for line in srt.splitlines() if line and "-->" not in line and not line.isdigit()]
    assert lines and max(len(line) for line in lines) <= 32, lines
    assert max(len(line) for line in lines) > 20  # cut to the limit, not far below it
    quality = done["quality"]
    assert quality["profile"] == "netflix-en+custom"
    assert quality["lines_too_long"]["count"] == 0
    assert word_error_rate(NEWS_SCRIPT, " ".join(lines)) <= 0.10


def test_unreadable_media_fails_cleanly(api, clips):
    failed = api.wait_job(post_media(api, clips["broken"])["id"], timeout=60)
    assert failed["status"] == "error"
    assert "cannot decode media" in failed["error"]


def test_a_killed_asr_worker_does_not_leave_its_job_stuck(api, clips, workers):
    """SIGKILL the asr worker mid-transcription; a new worker runs the job again to the end.

    The dead worker's lease on the task runs out three heartbeats after its last one, then
    maintenance puts the task back on the queue. The media the dead worker had open is deleted
    by the new one when it starts.
    """
    job = post_media(api, clips["long"])
    wait_for(lambda: (api.get(f"/jobs/{job['id']}").json()["progress"] or 0) > 0, 120, 0.05, what="progress")
    pid = workers["asr"].proc.pid
    workers["asr"].kill()

    def left_by_the_dead_worker() -> list[Path]:
        return [p for p in media_root().iterdir() if p.name.startswith(f"{pid}-")]

    (left,) = left_by_the_dead_worker()
    assert len(list(left.glob("job-*/media-*.mp4"))) == 1
    workers["asr"].start()
    wait_for(lambda: not left_by_the_dead_worker(), 30, 0.1, what="the new worker to delete the dead one's media")
    done = api.wait_job(job["id"], timeout=240)
    assert done["status"] == "done", done
    assert word_error_rate(LONG_SCRIPT, api.get(f"/jobs/{job['id']}/download/txt").text) <= 0.15


def test_silence_is_done_with_no_cues_and_an_empty_transcript(api, tmp_path):
    done = api.wait_job(post_media(api, silent_wav(tmp_path, 3.0))["id"], timeout=60)
    assert done["status"] == "done", done
    assert done["quality"]["cues"] == 0
    vtt = api.get(f"/jobs/{done['id']}/download/vtt")
    assert vtt.status_code == 200 and formats.validate_webvtt(vtt.content) == []
    transcript = api.get(f"/jobs/{done['id']}/transcript/vtt")
    assert transcript.status_code == 200 and transcript.text == ""


def test_a_language_the_model_cannot_transcribe_is_refused(api, clips):
    with open(clips["news"], "rb") as fh:
        response = api.post(
            "/captions",
            data={"parent_id": "video-fr", "provider": "whisper", "language": "fr", "output_types": "vtt"},
            files={"media": ("news.mp4", fh, "video/mp4")},
        )
    assert response.status_code == 422, response.text
    assert "tiny.en" in response.text and "providers.whisper.model" in response.text


def test_unsure_words_are_listed_in_the_quality_report(api, clips):
    done = api.wait_job(post_media(api, clips["fast"], output_types="json,vtt")["id"], timeout=120)
    assert done["status"] == "done", done
    report = done["quality"]["unsure_words"]
    cues = json.loads(api.get(f"/jobs/{done['id']}/download/json").text)["cues"]
    expected = [i for i, cue in enumerate(cues) if any(w["probability"] < report["threshold"] for w in cue["words"])]
    assert expected and report["cues"] == expected[:50]
    assert report["count"] == len(expected)
    assert all(word["probability"] < report["threshold"] for word in report["words"])
