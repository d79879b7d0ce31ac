"""The ``tencent`` adapter against the VOD simulator: the conformance kit (with its HTTP fault
table), the two-task order, errors, events, callback signatures and upload signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import formats
from providers.base import CallbackRequest, JobView, Provider, ProviderStatus
from providers.errors import CallbackRejected, PermanentProviderError, TransientProviderError
from providers.registry import validate_class
from providers.tencent import TencentProvider, callback_sign, upload_signature
from providers.testing import ProviderConformance
from tests.support.services import wait_for
from tests.support.tencent_sim import SCRIPT, SECRET_ID, SECRET_KEY, SIGN_KEY, TencentSimulator

DEFINITION = 10


@pytest.fixture(scope="module")
def vod() -> Iterator[TencentSimulator]:
    server = TencentSimulator().start()
    yield server
    server.stop()


@pytest.fixture
def sim(vod: TencentSimulator) -> TencentSimulator:
    vod.reset()
    return vod


def settings_for(host: str, **overrides: Any) -> dict[str, Any]:
    return {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "sign_key": SIGN_KEY,
        "endpoint": host,
        "scheme": "http",
        "definition": DEFINITION,
        "timeout_s": 2,
        **overrides,
    }


def provider_for(sim: TencentSimulator, **overrides: Any) -> TencentProvider:
    return TencentProvider(settings_for(sim.host, **overrides), requests.Session())


def new_job(job_id: str = "job-1", **overrides: Any) -> JobView:
    fields: dict[str, Any] = {
        "id": job_id,
        "media_url": "https://media.example.com/council.mp4",
        "language": "en",
        "provider_params": {},
        "output_types": ["vtt", "srt", "txt"],
    }
    return JobView(**{**fields, **overrides})


def follow(provider: TencentProvider, job: JobView, timeout: float = 20) -> ProviderStatus:
    """Check until the job ends, recording each reference as the gateway does."""

    def ended() -> ProviderStatus | None:
        status = provider.check(job)
        job.provider_params.update(status.reference)
        return status if status.state in ("done", "error", "cancelled") else None

    return wait_for(ended, timeout, 0.1, what=f"{job.id} to end")


def submitted(provider: TencentProvider, job: JobView) -> JobView:
    job.provider_params.update(provider.submit(job).reference)
    return job


def push_request(event: dict[str, Any], *, query: dict[str, str] | None = None) -> CallbackRequest:
    return CallbackRequest(
        headers={"Content-Type": "application/json"}, body=b"", form={}, json=event, args=query or {}
    )


def signed(event: dict[str, Any], expires: int | None = None, upper: bool = False) -> dict[str, Any]:
    expires = int(time.time()) + 300 if expires is None else expires
    sign = callback_sign(SIGN_KEY, expires)
    return {**event, "Sign": sign.upper() if upper else sign, "T": str(expires)}


def procedure_event(job_id: str, status: str = "FINISH", asr_status: str = "SUCCESS") -> dict[str, Any]:
    asr = {"Status": asr_status, "ErrCodeExt": "", "ErrCode": 0, "Message": "", "Progress": 100}
    if asr_status == "FAIL":
        asr.update(ErrCodeExt="InvalidInput.NoSpeech", Message="no speech in the audio")
    body = {
        "TaskId": "1400000000-procedure-9",
        "Status": status,
        "ErrCode": 0,
        "SessionContext": f"caption-gateway:{job_id}",
        "AiRecognitionResultSet": [{"Type": "AsrFullTextRecognition", "AsrFullTextTask": asr}],
    }
    return {"EventType": "ProcedureStateChanged", "ProcedureStateChangeEvent": body}


# -- the conformance kit --------------------------------------------------------------------------


class TestTencentConformance(ProviderConformance):
    provider_class = TencentProvider
    provider_id = "tencent"
    foreign_callback_raises = True
    honours_retry_after = False  # VOD reports rate limits inside HTTP 200 (RequestLimitExceeded), never as 429
    timeout_s = 1.0

    @pytest.fixture(autouse=True)
    def _service(self, sim: TencentSimulator) -> None:
        self.service = sim

    def make_provider(self) -> Provider:
        return provider_for(self.service, timeout_s=1)

    def make_provider_for(self, base_url: str) -> Provider:
        host = urllib.parse.urlsplit(base_url).netloc
        return TencentProvider(settings_for(host, timeout_s=1), requests.Session())

    def make_job(self, **overrides: Any) -> JobView:
        return new_job("job-conformance", **overrides)

    def drive_to_done(self, provider: Provider, job: JobView) -> None:
        assert isinstance(provider, TencentProvider)
        assert follow(provider, job).state == "done"

    def make_foreign_callback(self, job: JobView) -> CallbackRequest:
        return push_request(signed(procedure_event("job-of-someone-else")))


# -- packaging -------------------------------------------------------------------------------------


def test_missing_sdk_disables_the_provider_with_the_install_hint(monkeypatch):
    monkeypatch.setattr(TencentProvider, "requires", ("tencentcloud_not_installed",))
    reason = validate_class("tencent", TencentProvider)
    assert reason == (
        "missing optional dependency: tencentcloud_not_installed (install with: pip install caption-gateway[tencent])"
    )


def test_module_imports_without_the_sdk():
    code = "import sys; sys.modules['tencentcloud'] = None; import providers.tencent; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_settings_say_what_is_missing():
    assert TencentProvider({}).missing_settings() == ["secret_id", "secret_key", "definition"]
    assert TencentProvider({"event_mode": "pull", "events_interval_s": 3}).events_interval == 3
    assert TencentProvider({"event_mode": "push"}).events_interval is None
    with pytest.raises(ValueError, match="event_mode"):
        TencentProvider({"event_mode": "sometimes"})


# -- the order ---------------------------------------------------------------------------------------


def test_a_job_pulls_then_recognises_and_reads_the_script(sim):
    provider = provider_for(sim)
    job = submitted(provider, new_job("job-order"))
    pull = sim.calls_of("PullUpload")[0]
    assert pull["MediaUrl"] == "https://media.example.com/council.mp4"
    assert pull["SessionContext"] == "caption-gateway:job-order"
    assert follow(provider, job).state == "done"
    process = sim.calls_of("ProcessMedia")[0]
    assert process["AiRecognitionTask"] == {"Definition": DEFINITION}
    assert process["FileId"] == job.provider_params["file_id"] and process["SessionId"]
    result = provider.fetch(job)
    said = " ".join(" ".join(cue.lines) for cue in result.captions.cues)
    assert all(sentence in said for sentence in SCRIPT)
    assert result.details["source"] == "segments"


def test_a_retried_submit_uploads_once(sim):
    provider = provider_for(sim)
    first = provider.submit(new_job("job-twice"))
    again = provider.submit(new_job("job-twice"))
    assert first.reference == again.reference
    assert len(sim.calls_of("PullUpload")) == 2
    assert sum(task.kind == "pull" for task in sim.state.tasks.values() if "job-twice" in task.context) == 1


def test_starting_the_recognition_twice_starts_one_task(sim):
    provider = provider_for(sim)
    job = submitted(provider, new_job("job-asr-twice"))
    wait_for(lambda: provider.check(job).state == "processing", 10, 0.1, what="the pull to finish")
    again = provider.check(job)
    assert again.reference["task_id"] == provider.check(job).reference["task_id"]
    assert len({t.id for t in sim.state.tasks.values() if t.kind == "procedure" and "job-asr-twice" in t.context}) == 1


def test_media_already_in_vod_skips_the_pull(sim):
    provider = provider_for(sim)
    job = submitted(provider, new_job("job-file", media_url=None, provider_params={"file_id": "existing-42"}))
    assert sim.calls_of("PullUpload") == []
    assert job.provider_params["task_id"]
    assert follow(provider, job).state == "done"


def test_more_than_100_segments_all_arrive(sim):
    sim.behaviour.segment_count = 150
    provider = provider_for(sim)
    job = submitted(provider, new_job("job-long"))
    assert follow(provider, job).state == "done"
    words = " ".join(" ".join(cue.lines) for cue in provider.fetch(job).captions.cues)
    assert "150. " in words and "101. " in words and "1. The city council" in words


def test_subtitle_files_are_read_when_there_is_no_segment_file(sim):
    sim.behaviour.output = "subtitles"
    provider = provider_for(sim)
    job = submitted(provider, new_job("job-vtt"))
    assert follow(provider, job).state == "done"
    result = provider.fetch(job)
    assert result.details["source"] == "vtt"
    assert "The city council met on Tuesday evening." in " ".join(" ".join(c.lines) for c in result.captions.cues)


def test_segments_that_break_the_style_are_recut(sim):
    provider = provider_for(sim)
    job = submitted(provider, new_job("job-style", style={"profile": "netflix-en", "max_chars_per_line": 20}))
    assert follow(provider, job).state == "done"
    captions = provider.fetch(job).captions
    assert all(len(line) <= 20 for cue in captions.cues for line in cue.lines)
    assert formats.lint(captions, formats.get_profile(job.style)).lines_too_long.count == 0


def test_a_failed_subtask_fails_with_tencents_code_and_message(sim):
    sim.behaviour.fail_recognition = True
    provider = provider_for(sim)
    status = follow(provider, submitted(provider, new_job("job-fail")))
    assert status.state == "error"
    assert "no speech in the audio" in status.error and "InvalidInput.NoSpeech" in status.error


# -- errors --------------------------------------------------------------------------------------------


def test_a_wrong_secret_key_is_a_clear_error_naming_the_cause(sim):
    provider = provider_for(sim, secret_key="not-the-key")
    with pytest.raises(PermanentProviderError) as refused:
        provider.submit(new_job("job-badkey"))
    assert "the SecretKey does not match the SecretId (AuthFailure.SignatureFailure)" in str(refused.value)
    assert "not-the-key" not in str(refused.value) and SECRET_KEY not in str(refused.value)


def test_an_unknown_secret_id_is_named(sim):
    with pytest.raises(PermanentProviderError, match="AuthFailure.SecretIdNotFound"):
        provider_for(sim, secret_id="AKIDunknown").submit(new_job("job-badid"))


def test_rate_limit_is_transient_and_the_sdk_does_not_retry(sim):
    sim.behaviour.rate_limit_next = 1
    provider = provider_for(sim)
    with pytest.raises(TransientProviderError, match="RequestLimitExceeded"):
        provider.submit(new_job("job-limited"))
    assert len(sim.calls_of("PullUpload")) == 1  # one call: no retry hidden in the SDK
    assert provider.submit(new_job("job-limited")).reference["pull_task_id"]


def test_malformed_json_and_5xx_are_clear_errors(sim):
    provider = provider_for(sim)
    sim.behaviour.malformed_next = 1
    with pytest.raises(PermanentProviderError, match="not JSON"):
        provider.submit(new_job("job-garbled"))
    sim.behaviour.http_error_next = 1
    with pytest.raises(TransientProviderError, match="HTTP 503"):
        provider.submit(new_job("job-garbled"))


def test_no_credentials_is_a_clear_error(sim):
    provider = TencentProvider({"endpoint": sim.host, "scheme": "http", "definition": 1}, requests.Session())
    with pytest.raises(PermanentProviderError, match="GATEWAY_PROVIDERS_TENCENT_SECRET_ID"):
        provider.submit(new_job("job-nokey"))


def test_the_reference_holds_no_secret(sim):
    provider = provider_for(sim)
    job = submitted(provider, new_job("job-secret"))
    follow(provider, job)
    recorded = repr(job.provider_params) + repr(provider.fetch(job).details)
    assert SECRET_KEY not in recorded and SECRET_ID not in recorded and SIGN_KEY not in recorded


# -- events ------------------------------------------------------------------------------------------------


def test_pulled_events_name_their_job_and_come_again_until_confirmed(sim):
    sim.behaviour.redeliver_s = 0.3
    provider = provider_for(sim, event_mode="pull", events_interval_s=0.5)
    job = submitted(provider, new_job("job-events"))

    def pull_complete() -> list:
        return [e for e in provider.pull_events() if e.job_id == "job-events"]

    first = wait_for(pull_complete, 10, 0.1, what="the PullComplete event")
    assert first[0].status is None and first[0].handle  # the pull finished: check starts the recognition
    again = wait_for(pull_complete, 10, 0.1, what="the unconfirmed event again")
    assert again[0].handle == first[0].handle
    provider.confirm_events([first[0].handle])
    assert sim.calls_of("ConfirmEvents")[-1]["EventHandles"] == [first[0].handle]
    job.provider_params.update(provider.check(job).reference)
    done = wait_for(pull_complete, 10, 0.1, what="the ProcedureStateChanged event")
    assert [e.status.state for e in done if e.status] == ["done"]
    assert all(e.handle != first[0].handle for e in done)


def test_a_failed_task_event_carries_the_error():
    event = TencentProvider({}).parse_event_callback
    with pytest.raises(CallbackRejected):
        event(push_request(procedure_event("job-x")))
    provider = TencentProvider({"sign_key": SIGN_KEY})
    (failed,) = provider.parse_event_callback(push_request(signed(procedure_event("job-x", asr_status="FAIL"))))
    assert failed.job_id == "job-x" and failed.status.state == "error"
    assert "InvalidInput.NoSpeech" in failed.status.error


# -- push callback signatures --------------------------------------------------------------------------------


@pytest.mark.parametrize("upper", [False, True], ids=["lower-hex", "upper-hex"])
def test_push_signature_in_the_body_is_accepted(upper):
    provider = TencentProvider({"sign_key": SIGN_KEY})
    (event,) = provider.parse_event_callback(push_request(signed(procedure_event("job-a"), upper=upper)))
    assert event.job_id == "job-a" and event.status.state == "done"


@pytest.mark.parametrize("upper", [False, True], ids=["lower-hex", "upper-hex"])
def test_push_signature_in_the_query_is_accepted(upper):
    expires = int(time.time()) + 60
    sign = callback_sign(SIGN_KEY, expires)
    query = {"Sign": sign.upper() if upper else sign, "T": str(expires)}
    provider = TencentProvider({"sign_key": SIGN_KEY})
    (event,) = provider.parse_event_callback(push_request(procedure_event("job-q"), query=query))
    assert event.job_id == "job-q"


@pytest.mark.parametrize(
    "body",
    [
        signed(procedure_event("job-f"), expires=int(time.time()) - 5),
        {**signed(procedure_event("job-f")), "Sign": "0" * 32},
        procedure_event("job-f"),
        {**signed(procedure_event("job-f")), "T": "soon"},
    ],
    ids=["expired", "forged", "unsigned", "bad-T"],
)
def test_bad_push_signatures_are_rejected(body):
    provider = TencentProvider({"sign_key": SIGN_KEY})
    with pytest.raises(CallbackRejected):
        provider.parse_event_callback(push_request(body))
    job = new_job("job-f")
    with pytest.raises(CallbackRejected):
        provider.parse_callback(job, push_request(body))


def test_the_per_job_callback_reads_its_own_job_only():
    provider = TencentProvider({"sign_key": SIGN_KEY})
    status = provider.parse_callback(new_job("job-mine"), push_request(signed(procedure_event("job-mine"))))
    assert status is not None and status.state == "done"
    with pytest.raises(PermanentProviderError, match="another"):
        provider.parse_callback(new_job("job-mine"), push_request(signed(procedure_event("job-other"))))


# -- upload signatures -----------------------------------------------------------------------------------------


def decode_upload_signature(signature: str) -> tuple[bytes, dict[str, str]]:
    raw = base64.b64decode(signature)
    digest, original = raw[:20], raw[20:]
    return digest, dict(urllib.parse.parse_qsl(original.decode())) | {"_original": original.decode()}


def test_upload_signature_is_hmac_sha1_of_the_original():
    signature = upload_signature(SECRET_ID, SECRET_KEY, now=1_700_000_000, expiry_s=3600, procedure="asr", nonce=7)
    digest, fields = decode_upload_signature(signature)
    assert hmac.compare_digest(
        digest, hmac.new(SECRET_KEY.encode(), fields["_original"].encode(), hashlib.sha1).digest()
    )
    assert fields["secretId"] == SECRET_ID and fields["procedure"] == "asr" and fields["random"] == "7"
    assert int(fields["expireTime"]) - int(fields["currentTimeStamp"]) == 3600


def test_upload_signature_expiry_is_at_most_90_days():
    provider = TencentProvider({"secret_id": SECRET_ID, "secret_key": SECRET_KEY, "sub_app_id": 1500})
    made = provider.upload_signature(expiry_s=90 * 86400)
    _, fields = decode_upload_signature(made["signature"])
    assert fields["vodSubAppId"] == "1500" and made["expires_at"] == int(fields["expireTime"])
    with pytest.raises(PermanentProviderError, match="90 days"):
        provider.upload_signature(expiry_s=90 * 86400 + 1)


def test_upload_signature_route_without_keys_is_unavailable():
    flask = pytest.importorskip("flask")
    flask_smorest = pytest.importorskip("flask_smorest")
    app = flask.Flask("signature-test")
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    flask_smorest.Api(app).register_blueprint(TencentProvider({}).api_blueprint(), url_prefix="/providers/tencent")
    answer = app.test_client().post("/providers/tencent/upload-signature", json={})
    assert answer.status_code == 503 and "not configured" in answer.get_json()["message"]
