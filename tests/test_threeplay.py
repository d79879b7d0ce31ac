"""The ``3play`` adapter against its HTTP simulator: the conformance kit (the fault table
included) and what 3Play's protocol asks of the adapter (resuming, envelopes, callbacks, keys)."""

from __future__ import annotations

import dataclasses
import email.utils
import json
import time
from collections.abc import Iterator
from typing import Any

import marshmallow
import pytest
import requests

import formats
from providers.base import CallbackRequest, JobView, Provider
from providers.errors import PermanentProviderError, TransientProviderError
from providers.testing import ProviderConformance
from providers.threeplay import ThreePlayParams, ThreePlayProvider
from tests.support.threeplay_sim import SCRIPT, ThreePlaySimulator

KEY = "sim-key-captions-0123456789"
TRANSCRIPT_KEY = "sim-key-transcript-0123456789"
OTHER_PROJECT_KEY = "sim-key-other-project-0123456789"
KEYS = {KEY: "newsroom", TRANSCRIPT_KEY: "transcripts", OTHER_PROJECT_KEY: "elsewhere"}


@pytest.fixture(scope="module")
def sim() -> Iterator[ThreePlaySimulator]:
    server = ThreePlaySimulator(KEYS, asr_s=0.3, human_s=0.6, pending_s=0.1, callbacks=False).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh(sim: ThreePlaySimulator) -> None:
    sim.reset()


def make_provider(url: str, **settings: Any) -> ThreePlayProvider:
    base = {"base_url": url, "api_key": KEY, "api_key_transcript": TRANSCRIPT_KEY, "timeout_s": 2}
    return ThreePlayProvider({**base, **settings}, requests.Session())


def make_job(job_id: str = "job-3play-1", **overrides: Any) -> JobView:
    fields: dict[str, Any] = {
        "id": job_id,
        "media_url": "https://media.example.com/council.mp4",
        "language": "en",
        "provider_params": {},
        "output_types": ["srt", "vtt"],
        "callback_url": "https://gateway.example.com/callbacks/3play/job?token=t",
    }
    return JobView(**{**fields, **overrides})


def submitted(provider: Provider, job: JobView) -> JobView:
    submission = provider.submit(job)
    return dataclasses.replace(job, provider_params={**job.provider_params, **submission.reference})


def callback(body: dict[str, str], *, as_form: bool = False) -> CallbackRequest:
    if as_form:
        return CallbackRequest(headers={}, body=b"", form=body, json=None, args={})
    return CallbackRequest(headers={}, body=json.dumps(body).encode(), form={}, json=body, args={})


class TestThreePlayConformance(ProviderConformance):
    provider_class = ThreePlayProvider
    provider_id = "3play"
    foreign_callback_raises = True
    timeout_s = 1.0

    @pytest.fixture(autouse=True)
    def _service(self, sim: ThreePlaySimulator) -> None:
        self.service = sim

    def make_provider(self) -> Provider:
        return self.make_provider_for(self.service.url)

    def make_provider_for(self, base_url: str) -> Provider:
        return ThreePlayProvider({"base_url": base_url, "api_key": KEY, "timeout_s": 1}, requests.Session())

    def make_job(self, **overrides: Any) -> JobView:
        return make_job("job-conformance", **{"callback_url": None, **overrides})

    def drive_to_done(self, provider: Provider, job: JobView) -> None:
        self.service.finish(job.provider_params["ProviderID"])

    def make_foreign_callback(self, job: JobView) -> CallbackRequest:
        body = {"id": "999999", "media_file_id": "1", "batch_id": "", "status": "complete", "cancellable": "false"}
        return callback(body, as_form=True)


# -- ordering and resuming -------------------------------------------------------------------


def test_asr_order_records_file_and_transcript(sim: ThreePlaySimulator) -> None:
    submission = make_provider(sim.url).submit(make_job())
    (media_file,) = sim.files_for("job-3play-1")
    (transcript,) = sim.transcripts_for("job-3play-1")
    assert submission.reference == {"ProviderFileID": str(media_file["id"]), "ProviderID": str(transcript.id)}
    assert submission.status.state == "queued"
    assert transcript.kind == "AsrTranscript"
    assert transcript.callback == "https://gateway.example.com/callbacks/3play/job?token=t"
    assert media_file["source_url"] == "https://media.example.com/council.mp4"
    assert media_file["language_id"] == 1


def test_turnaround_orders_human_transcription(sim: ThreePlaySimulator) -> None:
    job = make_job(provider_params={"turnaround_level_id": 3, "name": "Council", "batch_id": 7})
    make_provider(sim.url).submit(job)
    (transcript,) = sim.transcripts_for(job.id)
    assert (transcript.kind, transcript.turnaround_level_id, transcript.batch_id) == ("TranscribedTranscript", 3, 7)
    assert sim.files_for(job.id)[0]["name"] == "Council"


def test_default_turnaround_from_settings(sim: ThreePlaySimulator) -> None:
    make_provider(sim.url, turnaround_level_id=1).submit(make_job())
    assert sim.transcripts_for("job-3play-1")[0].kind == "TranscribedTranscript"


def test_callbacks_off_orders_without_callback(sim: ThreePlaySimulator) -> None:
    make_provider(sim.url, callbacks=False).submit(make_job())
    assert sim.transcripts_for("job-3play-1")[0].callback is None


def test_a_retried_submit_reuses_the_file_and_the_order(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    first = provider.submit(make_job())
    second = provider.submit(make_job())
    assert first.reference == second.reference
    assert len(sim.files_for("job-3play-1")) == 1 and len(sim.transcripts_for("job-3play-1")) == 1


def test_a_submit_that_failed_after_the_file_orders_once_on_retry(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    sim.fail_next(1, 503, path="/transcripts/order")
    with pytest.raises(TransientProviderError):
        provider.submit(make_job())
    assert len(sim.files_for("job-3play-1")) == 1 and not sim.transcripts_for("job-3play-1")
    provider.submit(make_job())
    assert len(sim.files_for("job-3play-1")) == 1 and len(sim.transcripts_for("job-3play-1")) == 1


def test_each_id_is_recorded_as_soon_as_it_is_known(sim: ThreePlaySimulator) -> None:
    """The file id is on the job before the order is placed; a rerun goes on from the ids recorded,
    without looking anything up."""
    recorded: dict[str, str] = {}
    job = make_job(record=recorded.update)
    provider = make_provider(sim.url)
    sim.fail_next(1, 503, path="/transcripts/order")
    with pytest.raises(TransientProviderError):
        provider.submit(job)
    assert set(recorded) == {"ProviderFileID"}
    rerun = make_job(provider_params=dict(recorded), record=recorded.update)
    lookups = len(sim.requests_exactly("GET", "/files"))
    submission = provider.submit(rerun)
    assert recorded == submission.reference and set(recorded) == {"ProviderFileID", "ProviderID"}
    assert len(sim.requests_exactly("GET", "/files")) == lookups  # the recorded file id was used
    again = provider.submit(make_job(provider_params=dict(recorded)))
    assert again.reference == submission.reference
    assert len(sim.files_for("job-3play-1")) == 1 and len(sim.transcripts_for("job-3play-1")) == 1


@pytest.mark.parametrize("status", [502, 0], ids=["5xx", "no-answer"])
@pytest.mark.parametrize("path", ["/files", "/transcripts/order"], ids=["file", "order"])
def test_an_answer_lost_after_3play_made_the_object_makes_no_second_one(
    sim: ThreePlaySimulator, path: str, status: int
) -> None:
    """3Play made the file (or took the order) but its answer never came: a 5xx, or the connection
    closed. The retried submit finds what was made instead of making it again."""
    provider = make_provider(sim.url)
    sim.fail_next(1, status, method="POST", path=path, after=True)
    with pytest.raises(TransientProviderError, match="HTTP 502" if status else "could not be reached"):
        provider.submit(make_job())
    assert len(sim.files_for("job-3play-1")) == 1
    assert len(sim.transcripts_for("job-3play-1")) == (1 if path == "/transcripts/order" else 0)
    submission = provider.submit(make_job())
    (media_file,) = sim.files_for("job-3play-1")
    (transcript,) = sim.transcripts_for("job-3play-1")
    assert submission.reference == {"ProviderFileID": str(media_file["id"]), "ProviderID": str(transcript.id)}
    assert len(sim.requests_to("POST", "/files")) == 1
    assert len(sim.requests_to("POST", "/transcripts/order")) == 1


def test_job_type_picks_its_api_key(sim: ThreePlaySimulator) -> None:
    make_provider(sim.url).submit(make_job("job-transcript", provider_params={"job_type": "transcript"}))
    make_provider(sim.url).submit(make_job("job-captions", provider_params={"job_type": "captions"}))
    assert sim.files_for("job-transcript")[0]["project"] == "transcripts"
    assert sim.files_for("job-captions")[0]["project"] == "newsroom"


def test_unknown_language_needs_a_language_id(sim: ThreePlaySimulator) -> None:
    with pytest.raises(PermanentProviderError, match="language_id"):
        make_provider(sim.url).submit(make_job(language="xx"))
    make_provider(sim.url).submit(make_job(language="xx", provider_params={"language_id": 12}))
    assert sim.files_for("job-3play-1")[0]["language_id"] == 12


# -- following and fetching ------------------------------------------------------------------


def test_check_follows_the_clock_and_fetch_returns_3plays_bytes(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job())
    states = set()
    deadline = time.monotonic() + 10
    while (state := provider.check(job).state) != "done" and time.monotonic() < deadline:
        states.add(state)
        time.sleep(0.05)
    assert state == "done" and "processing" in states
    result = provider.fetch(job)
    assert result.native == {"srt": sim.caption_text("srt").encode(), "vtt": sim.caption_text("vtt").encode()}
    assert [cue.text for cue in result.captions.cues] == list(SCRIPT)
    assert result.details["transcript_id"] == job.provider_params["ProviderID"]


def test_fetch_of_other_types_reads_srt_only(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job(output_types=["txt", "dfxp"]))
    sim.finish(job.provider_params["ProviderID"])
    result = provider.fetch(job)
    assert set(result.native) == {"srt"}
    assert formats.write(result.captions, "txt")
    assert len(sim.requests_to("GET", f"/transcripts/{job.provider_params['ProviderID']}/text")) == 1


def test_an_empty_caption_file_is_not_a_result(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job())
    with pytest.raises(TransientProviderError, match="empty"):
        provider.fetch(job)


def test_a_rejected_order_is_an_error_with_3plays_reason(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    sim.reject_next_order("media_unusable", "The media file has no audio track")
    job = submitted(provider, make_job())
    sim.finish(job.provider_params["ProviderID"])
    status = provider.check(job)
    assert status.state == "error"
    assert status.error == "3play cancelled the order: media_unusable: The media file has no audio track"


# -- cancelling ------------------------------------------------------------------------------


def test_cancel_while_cancellable(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job(provider_params={"turnaround_level_id": 1}))
    assert provider.cancel(job) is True
    assert sim.transcripts_for(job.id)[0].status == "cancelled"


def test_cancel_when_3play_says_not_cancellable(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job())
    sim.set_cancellable(job.provider_params["ProviderID"], False)
    assert provider.cancel(job) is False
    assert not sim.requests_to("POST", f"/transcripts/{job.provider_params['ProviderID']}/cancel")


def test_cancel_refused_with_forbidden_is_false(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job())
    sim.fail_next(1, 403, path="/cancel")
    assert provider.cancel(job) is False


# -- callbacks -------------------------------------------------------------------------------


@pytest.mark.parametrize("as_form", [False, True], ids=["json", "form"])
def test_callback_status_is_applied_without_asking(sim: ThreePlaySimulator, as_form: bool) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job())
    transcript_id = job.provider_params["ProviderID"]
    calls = len(sim.state.log)
    body = {"id": transcript_id, "media_file_id": "1", "status": "complete", "cancellable": "false"}
    status = provider.parse_callback(job, callback(body, as_form=as_form))
    assert status is not None and status.state == "done"
    assert len(sim.state.log) == calls
    in_progress = provider.parse_callback(job, callback({**body, "status": "in_progress"}, as_form=as_form))
    assert in_progress is not None and in_progress.state == "processing"


def test_callback_of_a_rejection_carries_the_reason(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job())
    body = {
        "id": job.provider_params["ProviderID"],
        "status": "cancelled",
        "cancellable": "false",
        "cancellation_reason": "duplicate_order",
        "cancellation_details": "",
    }
    status = provider.parse_callback(job, callback(body, as_form=True))
    assert status is not None and status.state == "error"
    assert status.error == "3play cancelled the order: duplicate_order"


def test_callback_about_another_order_is_refused(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    job = submitted(provider, make_job())
    with pytest.raises(PermanentProviderError, match="another"):
        provider.parse_callback(job, callback({"id": "1", "status": "complete"}))


# -- review mode -----------------------------------------------------------------------------


def test_review_mode_asks_an_editing_link_instead_of_ordering(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url)
    source = submitted(provider, make_job("job-source"))
    transcript_id = source.provider_params["ProviderID"]
    params = {"transcript_id": transcript_id, "hours_until_expiration": 48}
    submission = provider.submit(make_job("job-review", provider_params=params))
    assert submission.reference["ProviderID"] == transcript_id
    assert submission.reference["ReviewURL"].startswith("http://127.0.0.1:")
    assert f"editor/{transcript_id}" in submission.reference["ReviewURL"]
    assert not sim.files_for("job-review") and len(sim.transcripts) == 1
    assert sim.requests_to("GET", f"/transcripts/{transcript_id}/expiring_editing_link")[0]["params"] == {
        "hours_until_expiration": "48"
    }
    job = dataclasses.replace(make_job("job-review"), provider_params={**params, **submission.reference})
    sim.finish(transcript_id)
    assert provider.check(job).state == "done"
    assert provider.fetch(job).details["ReviewURL"] == submission.reference["ReviewURL"]


# -- keys and envelopes ----------------------------------------------------------------------


def test_a_wrong_key_is_a_clear_error_that_never_shows_the_key(sim: ThreePlaySimulator) -> None:
    provider = make_provider(sim.url, api_key="wrong-key-0123456789")
    with pytest.raises(PermanentProviderError) as refused:
        provider.submit(make_job())
    message = str(refused.value)
    assert "API key was refused" in message and "authentication_error" in message
    assert "wrong-key-0123456789" not in message


def test_a_missing_key_names_the_setting(sim: ThreePlaySimulator) -> None:
    provider = ThreePlayProvider({"base_url": sim.url}, requests.Session())
    assert provider.missing_settings() == ["api_key"]
    with pytest.raises(PermanentProviderError, match="GATEWAY_PROVIDERS_3PLAY_API_KEY"):
        provider.submit(make_job())


def test_a_key_of_another_project_sees_no_media(sim: ThreePlaySimulator) -> None:
    job = submitted(make_provider(sim.url), make_job())
    with pytest.raises(PermanentProviderError, match="No media found"):
        make_provider(sim.url, api_key=OTHER_PROJECT_KEY).check(job)


@pytest.mark.parametrize("as_date", [False, True], ids=["seconds", "http-date"])
def test_rate_limit_passes_retry_after_on(sim: ThreePlaySimulator, as_date: bool) -> None:
    value = email.utils.formatdate(time.time() + 30, usegmt=True) if as_date else "30"
    sim.fail_next(1, 429, retry_after=value)
    with pytest.raises(TransientProviderError) as limited:
        make_provider(sim.url).submit(make_job())
    assert limited.value.retry_after is not None and 25 <= limited.value.retry_after <= 30


def test_an_html_error_page_is_named(sim: ThreePlaySimulator) -> None:
    sim.fail_next(1, 502, html=True)
    with pytest.raises(TransientProviderError, match="HTML page"):
        make_provider(sim.url).submit(make_job())


def test_params_schema() -> None:
    schema = ThreePlayParams()
    assert schema.load({"job_type": "transcript", "turnaround_level_id": 6}) == {
        "job_type": "transcript",
        "turnaround_level_id": 6,
    }
    for bad in ({"turnaround_level_id": 7}, {"job_type": "audio"}, {"ProviderID": "1"}):
        with pytest.raises(marshmallow.ValidationError):
            schema.load(bad)
