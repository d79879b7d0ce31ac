"""The ``amara`` provider against its HTTP simulator: the conformance kit, and the adapter's own
behaviour (the review flow, the job's language everywhere, a retried submit, faults, secrets)."""

from __future__ import annotations

import dataclasses
import email.utils
import itertools
import time
from collections.abc import Iterator
from typing import Any

import marshmallow
import pytest
import requests

import formats
from providers.amara import AmaraParams, AmaraProvider, drf_error_message
from providers.base import CallbackRequest, JobView, Provider
from providers.errors import PermanentProviderError, ProviderError, TransientProviderError
from providers.testing import ProviderConformance
from tests.support.amara_sim import HUMAN_TRANSCRIPT, REVIEW_MARK, SOURCE_VTT, AmaraSimulator
from tests.support.services import wait_for

KEY = "amara-secret-key-0123456789"
TEAM = "newsroom"
REVIEWER = "reviewer-anna"

_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def amara() -> Iterator[AmaraSimulator]:
    sim = AmaraSimulator(KEY, team=TEAM).start()
    yield sim
    sim.stop()


@pytest.fixture
def sim(amara: AmaraSimulator) -> Iterator[AmaraSimulator]:
    amara.reset()
    yield amara
    amara.reset()


def make_provider(base_url: str, **settings: Any) -> AmaraProvider:
    defaults = {"base_url": base_url, "api_key": KEY, "username": REVIEWER, "team": TEAM, "timeout_s": 2}
    return AmaraProvider({**defaults, **settings}, requests.Session())


def make_job(sim: AmaraSimulator, **overrides: Any) -> JobView:
    """A German job; its source job's output is a file the simulator hosts."""
    number = next(_numbers)
    source_url = sim.host_file(f"source-{number}.vtt", SOURCE_VTT)
    fields: dict[str, Any] = {
        "id": f"job-amara-{number}",
        "media_url": f"https://media.example.com/council-{number}.mp4",
        "language": "de",
        "provider_params": {"source_job": "job-source"},
        "output_types": ["vtt", "srt"],
        "output_url": lambda _job_id, _fmt: source_url,
    }
    return JobView(**{**fields, **overrides})


def recorded(job: JobView, reference: dict[str, Any]) -> JobView:
    """The job as the gateway sees it after recording a reference."""
    return dataclasses.replace(job, provider_params={**job.provider_params, **reference})


class TestAmaraConformance(ProviderConformance):
    provider_class = AmaraProvider
    provider_id = "amara"
    foreign_callback_raises = True
    timeout_s = 1.0

    @pytest.fixture(autouse=True)
    def _service(self, amara: AmaraSimulator) -> None:
        self.service = amara

    def make_provider(self) -> Provider:
        return self.make_provider_for(self.service.api_url)

    def make_provider_for(self, base_url: str) -> Provider:
        return make_provider(base_url, timeout_s=self.timeout_s)

    def make_job(self, **overrides: Any) -> JobView:
        return make_job(self.service, **overrides)

    def drive_to_done(self, provider: Provider, job: JobView) -> None:
        self.service.complete(job.provider_params["ProviderID"], job.language)

    def make_foreign_callback(self, job: JobView) -> CallbackRequest:
        body = {"event": "subtitles-published", "video_id": "AmSimOther", "language_code": job.language}
        return CallbackRequest(headers={"Content-Type": "application/json"}, body=b"", form={}, json=body, args={})


# -- the review flow ---------------------------------------------------------------------------


def test_review_of_existing_captions_in_the_jobs_language(sim: AmaraSimulator) -> None:
    provider = make_provider(sim.api_url)
    job = make_job(sim)
    submission = provider.submit(job)
    video_id = submission.reference["ProviderID"]
    assert submission.status.state == "processing"
    assert submission.reference["ReviewURL"].startswith(f"{sim.url}/en/subtitles/editor/{video_id}/de/")

    (created,) = sim.calls("POST", "/api/videos/")
    assert created.body == {
        "video_url": job.media_url,
        "title": job.id,
        "primary_audio_language_code": "de",
        "team": TEAM,
    }
    (upload,) = sim.calls("POST", f"/api/videos/{video_id}/languages/de/subtitles/")
    assert upload.body["sub_format"] == "vtt" and upload.body["action"] == "save-draft"
    assert sim.calls("PUT", f"/api/videos/{video_id}/languages/de/")[0].body == {"subtitles_complete": False}
    (login,) = sim.calls("POST", "/api/editor-login/")
    assert login.body == {"video_id": video_id, "user": REVIEWER, "language_code": "de"}
    assert all(r.path.endswith("/") for r in sim.requests)
    assert not [r for r in sim.requests if "/en/" in r.path]
    headers = sim.requests[0].headers
    assert headers["X-Api-Key"] == KEY and headers["X-Api-Future"] == "20190619"
    assert headers["X-Api-Username"] == REVIEWER

    job = recorded(job, submission.reference)
    assert provider.check(job).state == "processing"  # the draft did not complete the language
    wait_for(lambda: provider.check(job).state == "done", 20, 0.2, what="the reviewer")

    result = provider.fetch(job)
    assert result.captions.language == "de"
    assert result.captions.cues[0].text == "Der Stadtrat tagte am Dienstag." + REVIEW_MARK
    assert REVIEW_MARK.encode() in result.native["vtt"] and REVIEW_MARK.encode() in result.native["srt"]
    assert formats.read(result.native["srt"], "srt").cues[1].text == "Er stimmte für die Bibliothek."
    assert result.details == {
        "language": "de",
        "video_id": video_id,
        "version_number": 2,
        "ReviewURL": submission.reference["ReviewURL"],
    }


def test_plain_captioning_is_queued_until_the_team_completes(sim: AmaraSimulator) -> None:
    sim.review_after_s = 60.0
    provider = make_provider(sim.api_url)
    job = make_job(sim, provider_params={"title": "Council", "project": "city"})
    submission = provider.submit(job)
    assert submission.status.state == "queued"
    assert not sim.calls("POST", "/subtitles/")
    assert sim.calls("POST", "/api/videos/")[0].body["project"] == "city"
    job = recorded(job, submission.reference)
    assert provider.check(job).state == "queued"
    sim.complete(submission.reference["ProviderID"], "de")
    assert provider.check(job).state == "done"
    result = provider.fetch(job)
    assert result.captions.cues[0].text == formats.read(HUMAN_TRANSCRIPT.encode(), "vtt").cues[0].text


def test_subtitles_url_is_sent_for_review_and_no_editor_link_without_a_user(sim: AmaraSimulator) -> None:
    provider = make_provider(sim.api_url, username=None)
    url = sim.host_file("archive.srt", formats.write(formats.read(SOURCE_VTT, "vtt"), "srt"))
    job = make_job(sim, provider_params={"subtitles_url": url, "source_format": "srt"})
    submission = provider.submit(job)
    assert "ReviewURL" not in submission.reference
    assert not sim.calls("POST", "/api/editor-login/")
    (upload,) = sim.calls("POST", "/subtitles/")
    assert upload.body["subtitles_url"] == url and upload.body["sub_format"] == "srt"
    assert "X-Api-Username" not in upload.headers


def test_an_existing_video_is_used_as_given(sim: AmaraSimulator) -> None:
    provider = make_provider(sim.api_url)
    first = provider.submit(make_job(sim, provider_params={}))
    sim.requests.clear()
    job = make_job(sim, provider_params={"video_id": first.reference["ProviderID"]}, language="fr")
    assert provider.submit(job).reference["ProviderID"] == first.reference["ProviderID"]
    assert not sim.calls("POST", "/api/videos/") and not sim.calls("GET", "/api/videos/")
    assert sim.calls("POST", "/languages/")[0].body == {"language_code": "fr"}


def test_a_retried_submit_finds_its_video_instead_of_creating_another(sim: AmaraSimulator) -> None:
    provider = make_provider(sim.api_url)
    job = make_job(sim)
    sim.add_fault(status=500, method="POST", path="/subtitles/")
    with pytest.raises(TransientProviderError, match="HTTP 500: A server error occurred"):
        provider.submit(job)
    submission = provider.submit(job)
    assert len(sim.calls("POST", "/api/videos/")) == 1
    assert len(sim.videos) == 1 and submission.reference["ProviderID"] in sim.videos
    assert sim.calls("GET", "/api/videos/")[-1].query == {"video_url": job.media_url, "team": TEAM}


def test_a_missing_source_job_fails_before_anything_is_created(sim: AmaraSimulator) -> None:
    def no_output(job_id: str, fmt: str) -> str:
        raise PermanentProviderError(f"source job {job_id} does not exist")

    job = make_job(sim, provider_params={"source_job": "nope", "source_format": "srt"}, output_url=no_output)
    with pytest.raises(PermanentProviderError, match="source job nope does not exist"):
        make_provider(sim.api_url).submit(job)
    assert not sim.requests


# -- what the simulator holds the adapter to -----------------------------------------------------


def test_simulator_reads_an_upload_without_sub_format_as_dfxp_and_completes_without_action(
    sim: AmaraSimulator,
) -> None:
    provider = make_provider(sim.api_url)
    video_id = provider.submit(make_job(sim, provider_params={})).reference["ProviderID"]
    url = f"{sim.api_url}/videos/{video_id}/languages/de/subtitles/"
    refused = requests.post(url, json={"subtitles": SOURCE_VTT.decode()}, headers={"X-api-key": KEY}, timeout=5)
    assert refused.status_code == 400 and "Invalid subtitle data" in refused.json()["subtitles"][0]
    body = {"subtitles": SOURCE_VTT.decode(), "sub_format": "vtt"}
    assert requests.post(url, json=body, headers={"X-api-key": KEY}, timeout=5).status_code == 201
    assert sim.videos[video_id].languages["de"].subtitles_complete
    raw = requests.get(url, params={"format": "srt"}, headers={"X-api-key": KEY}, timeout=5)
    assert raw.headers["Content-Type"] == "application/x-subrip" and b"00:00:01,000" in raw.content


def test_simulator_refuses_a_path_without_its_trailing_slash(sim: AmaraSimulator) -> None:
    answer = requests.get(f"{sim.api_url}/videos", headers={"X-api-key": KEY}, timeout=5)
    assert answer.status_code == 404 and answer.headers["Content-Type"].startswith("text/html")


# -- faults and secrets -------------------------------------------------------------------------


def test_a_bad_key_is_a_clear_permanent_error_without_the_key(sim: AmaraSimulator) -> None:
    wrong = "wrong-key-that-must-not-leak"
    with pytest.raises(PermanentProviderError) as refused:
        make_provider(sim.api_url, api_key=wrong).submit(make_job(sim))
    assert str(refused.value) == "Amara answered HTTP 403: Incorrect authentication credentials."
    assert wrong not in str(refused.value) and KEY not in str(refused.value)


@pytest.mark.parametrize("header", ["3", "date"])
def test_rate_limit_passes_retry_after_on(sim: AmaraSimulator, header: str) -> None:
    retry_after = "3" if header == "3" else email.utils.formatdate(time.time() + 30, usegmt=True)
    sim.add_fault(status=429, retry_after=retry_after)
    with pytest.raises(TransientProviderError, match="throttled") as limited:
        make_provider(sim.api_url).submit(make_job(sim))
    assert limited.value.retry_after == 3.0 if header == "3" else 25 < limited.value.retry_after <= 30


def test_an_html_error_page_is_named(sim: AmaraSimulator) -> None:
    sim.add_fault(status=502, html=True)
    with pytest.raises(TransientProviderError, match="an HTML page instead of the service's JSON"):
        make_provider(sim.api_url).submit(make_job(sim))


def test_a_slow_answer_ends_with_the_timeout(sim: AmaraSimulator) -> None:
    sim.add_fault(status=0, delay_s=2.0)
    with pytest.raises(TransientProviderError, match="did not answer in time"):
        make_provider(sim.api_url, timeout_s=0.5).submit(make_job(sim))


def test_a_deleted_video_fails_the_job(sim: AmaraSimulator) -> None:
    job = make_job(sim, provider_params={"ProviderID": "AmSimGone"})
    with pytest.raises(PermanentProviderError, match="no de subtitles for video AmSimGone any more"):
        make_provider(sim.api_url).check(job)


@pytest.mark.parametrize("deleted", ["video", "language"])
def test_work_cancelled_at_amara_is_a_permanent_error(sim: AmaraSimulator, deleted: str) -> None:
    """A team admin deletes the video, or withdraws the subtitle language, while it is in review."""
    sim.review_after_s = 60.0
    provider = make_provider(sim.api_url)
    job = make_job(sim)
    submission = provider.submit(job)
    job = recorded(job, submission.reference)
    video_id = submission.reference["ProviderID"]
    assert provider.check(job).state == "processing"
    if deleted == "video":
        sim.delete_video(video_id)
    else:
        sim.delete_language(video_id, "de")
    gone = f"no de subtitles for video {video_id} any more: the video or the language was deleted at Amara"
    with pytest.raises(PermanentProviderError, match=gone):
        provider.check(job)
    with pytest.raises(PermanentProviderError, match=gone):
        provider.fetch(job)
    assert sim.calls("GET", f"/api/videos/{video_id}/languages/de/")


# -- empty caption files -------------------------------------------------------------------------


def test_an_empty_file_while_in_review_is_not_taken_as_captions(sim: AmaraSimulator) -> None:
    sim.review_after_s = 60.0
    sim.empty_while_incomplete = True
    provider = make_provider(sim.api_url)
    job = make_job(sim)
    submission = provider.submit(job)
    job = recorded(job, submission.reference)
    video_id = submission.reference["ProviderID"]
    url = f"{sim.api_url}/videos/{video_id}/languages/de/subtitles/"
    in_review = requests.get(url, params={"sub_format": "vtt"}, headers={"X-api-key": KEY}, timeout=5).json()
    assert in_review["subtitles"].strip() == "WEBVTT" and in_review["version_number"] == 1  # what Amara hands out
    assert provider.check(job).state == "processing"
    with pytest.raises(ProviderError, match="captions"):
        provider.fetch(job)

    sim.complete(video_id, "de")
    assert provider.check(job).state == "done"
    result = provider.fetch(job)
    assert result.captions.cues[0].text == "Der Stadtrat tagte am Dienstag." + REVIEW_MARK
    assert result.details["version_number"] == 2


@pytest.mark.parametrize("only", [None, "vtt"], ids=["every-format", "vtt-beside-a-full-srt"])
def test_a_file_without_cues_after_completion_is_asked_for_again(sim: AmaraSimulator, only: str | None) -> None:
    """An empty file (every format, or the WebVTT beside a full SRT) is not taken as captions:
    the gateway asks again, and the next fetch reads the reviewed version in every format."""
    provider = make_provider(sim.api_url)
    job = make_job(sim)
    submission = provider.submit(job)
    job = recorded(job, submission.reference)
    sim.complete(submission.reference["ProviderID"], "de")
    sim.add_fault(empty=True, method="GET", path="/subtitles/", query={"sub_format": only} if only else None)
    with pytest.raises(TransientProviderError, match="captions"):
        provider.fetch(job)
    result = provider.fetch(job)  # the next fetch reads the reviewed version
    assert result.captions.cues and formats.read(result.native["srt"], "srt").cues


# -- params, settings, callbacks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"subtitles_url": "https://x.example/a.vtt", "source_job": "j"}, "source_job"),
        ({"source_format": "scc"}, "source_format"),
        ({"subtitles_url": "not a url"}, "subtitles_url"),
        ({"language": "de"}, "language"),
    ],
)
def test_params_that_are_refused(params: dict[str, Any], field: str) -> None:
    with pytest.raises(marshmallow.ValidationError) as refused:
        AmaraParams().load(params)
    assert field in refused.value.messages_dict


def test_settings_override_the_polling_and_the_key_is_required() -> None:
    provider = AmaraProvider({"poll_initial": 0.5, "max_wait": 60, "base_url": "http://sim/api/"})
    assert (provider.poll_initial, provider.max_wait, provider.base_url) == (0.5, 60.0, "http://sim/api")
    assert provider.missing_settings() == ["api_key"]
    assert AmaraProvider({}).base_url == "https://amara.org/api"


def test_drf_field_errors_are_read() -> None:
    response = requests.Response()
    response._content = b'{"video_url": ["Video already added"], "team": ["Invalid team: x"]}'
    assert drf_error_message(response) == "video_url: Video already added; team: Invalid team: x"


def test_a_notification_about_our_video_asks_check(sim: AmaraSimulator) -> None:
    job = make_job(sim, provider_params={"ProviderID": "AmSim1"})
    body = {"event": "subtitles-published", "video_id": "AmSim1", "language_code": "de"}
    request = CallbackRequest(headers={}, body=b"", form={}, json=body, args={})
    assert make_provider(sim.api_url).parse_callback(job, request) is None
