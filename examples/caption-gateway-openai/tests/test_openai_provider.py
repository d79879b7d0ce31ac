"""The openai provider against the loopback OpenAI-compatible server: what it sends, the captions it
makes, media cut at silences over the upload limit, and the endpoint's errors."""

from __future__ import annotations

import dataclasses
import email.utils
import re
import time
from pathlib import Path

import pytest
import requests
from caption_gateway_openai.testing import TranscriptionServer
from openai_test_support import API_KEY, SCRIPT, make_job, make_provider, video_only_mp4

import formats
from providers.errors import PermanentProviderError, TransientProviderError


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def recognised_share(script: str, text: str) -> float:
    """The share of the script's words found in the transcript (tiny.en is good, not perfect)."""
    heard = set(words_of(text))
    expected = words_of(script)
    return sum(word in heard for word in expected) / len(expected)


def test_media_that_fits_is_sent_as_it_is_with_word_timestamps(server: TranscriptionServer, clips):
    submission = make_provider(server.url).submit(make_job(clips["mp4"]))
    assert submission.status.state == "done"
    result = submission.result
    assert [(c.model, c.language, c.response_format, c.filename) for c in server.requests] == [
        ("whisper-1", "en", "verbose_json", clips["mp4"].name)
    ]
    assert server.requests[0].granularities == ["segment", "word"]
    assert result.details["transcoded"] is False and result.details["timestamps"] == "word"
    assert result.details["language"] == "en" and result.details["uploads"] == 1
    assert result.captions.language == "en"
    text = formats.write(result.captions, "txt").decode()
    assert recognised_share(SCRIPT, text) >= 0.8, text
    # OpenAI's words carry no punctuation: the written forms come back from the segments' text
    assert "." in text and text[0].isupper()
    assert formats.validate_webvtt(formats.write(result.captions, "vtt")) == []


def test_language_auto_is_detected_and_reported_as_its_code(server: TranscriptionServer, clips):
    # the endpoint names the language it detects, as OpenAI does
    with clips["wav"].open("rb") as media:
        answer = requests.post(
            f"{server.url}/audio/transcriptions",
            headers={"Authorization": f"Bearer {API_KEY}"},
            data={"model": "whisper-1", "response_format": "verbose_json"},
            files={"file": (clips["wav"].name, media, "audio/wav")},
            timeout=30,
        ).json()
    assert answer["language"] == "english"
    server.reset()
    result = make_provider(server.url).submit(make_job(clips["wav"], language="auto")).result
    assert [call.language for call in server.requests] == [None]  # sent without one: detected
    # the job (its language when done) and its captions get the code
    assert result.details["language"] == "en" and "endpoint_language" not in result.details
    assert result.captions.language == "en"
    assert 'xml:lang="en"' in formats.write(result.captions, "ttml").decode()
    assert recognised_share(SCRIPT, formats.write(result.captions, "txt").decode()) >= 0.8


def test_vocabulary_is_sent_as_the_prompt(server: TranscriptionServer, clips):
    job = make_job(clips["wav"], provider_params={"vocabulary": ["Okonkwo", "Hapag-Lloyd"]})
    make_provider(server.url).submit(job)
    assert server.requests[0].prompt == "Glossary: Okonkwo, Hapag-Lloyd."


def test_an_endpoint_with_segments_only_still_gives_timed_cues(clips):
    segments_only = TranscriptionServer(API_KEY, word_timestamps=False).start()
    try:
        result = make_provider(segments_only.url).submit(make_job(clips["wav"])).result
    finally:
        segments_only.stop()
    assert result.details["timestamps"] == "segment"
    cues = result.captions.cues
    assert cues and all(cue.start < cue.end for cue in cues)
    assert recognised_share(SCRIPT, formats.write(result.captions, "txt").decode()) >= 0.8


def test_media_over_the_limit_is_cut_at_silences_and_the_times_stitched(server: TranscriptionServer, clips):
    limit = 20_000  # about 5 s of 32 kbit/s MP3: the 7 s clip needs two uploads or more
    result = make_provider(server.url, max_upload_bytes=limit).submit(make_job(clips["wav"])).result
    calls = server.requests
    assert len(calls) >= 2 and result.details["uploads"] == len(calls)
    assert all(call.size <= limit and call.filename.endswith(".mp3") for call in calls)
    assert result.details["transcoded"] is True
    # the next upload is prompted with the end of the text before it
    assert calls[1].prompt and calls[1].prompt.split()[-1] in formats.write(result.captions, "txt").decode()
    cues = result.captions.cues
    assert all(a.start <= b.start for a, b in zip(cues, cues[1:], strict=False))
    assert cues[-1].end > 5000, "the later part's words are on the media's clock, not the part's"
    assert recognised_share(SCRIPT, formats.write(result.captions, "txt").decode()) >= 0.75


def test_progress_is_reported_per_upload_and_a_cancel_stops_between_them(server: TranscriptionServer, clips):
    seen: list[int] = []
    job = make_job(clips["wav"], report_progress=seen.append, is_cancelled=lambda: bool(seen))
    submission = make_provider(server.url, max_upload_bytes=20_000).submit(job)
    assert submission.status.state == "cancelled"
    assert len(server.requests) == 1 and len(seen) == 1 and 0 < seen[0] < 100


def test_a_wrong_key_fails_with_the_endpoints_words_and_no_key(server: TranscriptionServer, clips):
    wrong_key = "sk-wrong-key-abcdefghijklmnop"
    provider = make_provider(server.url, api_key=wrong_key)
    with pytest.raises(PermanentProviderError) as refused:
        provider.submit(make_job(clips["wav"]))
    message = str(refused.value)
    assert "HTTP 401" in message and "Incorrect API key provided" in message
    assert wrong_key not in message and "mnop" not in message and "[key hidden]" in message


def test_an_upload_over_the_endpoints_limit_fails_with_a_hint(clips):
    small = TranscriptionServer(API_KEY, max_file_bytes=10_000).start()
    try:
        with pytest.raises(PermanentProviderError, match=r"HTTP 413.*max_upload_bytes"):
            make_provider(small.url).submit(make_job(clips["wav"]))
    finally:
        small.stop()


@pytest.mark.parametrize("as_date", [False, True], ids=["seconds", "http-date"])
def test_rate_limits_are_transient_with_retry_after(server: TranscriptionServer, clips, as_date: bool):
    hint = email.utils.formatdate(time.time() + 30, usegmt=True) if as_date else "12"
    server.fail_next(429, retry_after=hint)
    with pytest.raises(TransientProviderError) as limited:
        make_provider(server.url).submit(make_job(clips["wav"]))
    assert limited.value.retry_after == pytest.approx(12 if not as_date else 30, abs=2)


def test_an_exhausted_quota_is_permanent(server: TranscriptionServer, clips):
    server.fail_next(429, "You exceeded your current quota", code="insufficient_quota")
    with pytest.raises(PermanentProviderError, match="quota"):
        make_provider(server.url).submit(make_job(clips["wav"]))


def test_server_errors_are_transient(server: TranscriptionServer, clips):
    server.fail_next(500)
    with pytest.raises(TransientProviderError, match="HTTP 500"):
        make_provider(server.url).submit(make_job(clips["wav"]))


def test_an_unknown_model_is_the_endpoints_400(server: TranscriptionServer, clips):
    with pytest.raises(PermanentProviderError, match="does not exist"):
        make_provider(server.url, model="whisper-9").submit(make_job(clips["wav"]))


def test_media_without_audio_is_refused_before_any_upload(server: TranscriptionServer, tmp_path: Path):
    provider = make_provider(server.url, upload_format="mp3")
    with pytest.raises(PermanentProviderError, match="no audio track"):
        provider.submit(make_job(video_only_mp4(tmp_path)))
    assert server.requests == []


def test_missing_key_and_models_not_allowed(server: TranscriptionServer, clips):
    keyless = make_provider(server.url, api_key="")
    assert keyless.missing_settings() == ["api_key"]
    with pytest.raises(PermanentProviderError, match="GATEWAY_PROVIDERS_OPENAI_API_KEY"):
        keyless.submit(make_job(clips["wav"]))
    provider = make_provider(server.url, allowed_models="whisper-1, tiny.en")
    assert provider.load_params({"model": "tiny.en"}) == {"model": "tiny.en"}
    with pytest.raises(Exception, match="not allowed"):
        provider.load_params({"model": "gpt-4o-transcribe"})


def test_no_secret_in_what_the_gateway_records(server: TranscriptionServer, clips):
    submission = make_provider(server.url).submit(make_job(clips["wav"]))
    recorded = repr((submission.reference, submission.status, submission.result.details))
    assert API_KEY not in recorded
    assert dataclasses.asdict(submission.status)["state"] == "done"
